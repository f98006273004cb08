"""`fieldsignal memo`, `fieldsignal drafts` and `fieldsignal metrics`: drafting, review, publication."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, fail, workspace

memo_app = typer.Typer(
    help="Draft the weekly PM memo, the monthly newsletter or the loss summary.", no_args_is_help=True
)
drafts_app = typer.Typer(help="Drafts: list, show, edit, approve, publish.", no_args_is_help=True)
Who = Annotated[str | None, typer.Option(help="Who (default: your login).")]
Week = Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W43 (default: last week).")]
Month = Annotated[str | None, typer.Option(help="Month, e.g. 2026-10 (default: last month).")]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _draft(kind: str, period: str, who: str | None, as_json: bool) -> None:
    desk = workspace().desk
    draft = desk.draft(kind, period, who or getpass.getuser(), _now())
    for warning in desk.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        emit(draft.model_dump(mode="json") | {"body": draft.latest.body, "warnings": desk.warnings})
        return
    typer.echo(draft.latest.body)
    typer.echo(
        f"-- draft {draft.id} v{draft.latest.version} stored; review it with `fieldsignal drafts edit {draft.id}`, "
        f"then `fieldsignal drafts approve {draft.id}`",
        err=True,
    )


@memo_app.command("weekly")
def memo_weekly(week: Week = None, who: Who = None, as_json: Json = False) -> None:
    """Top 3 blockers, customer attribution, deal impact, recommended priority, signal count."""
    last = dt.date.today() - dt.timedelta(weeks=1)
    _draft("weekly", week or f"{last.isocalendar()[0]}-W{last.isocalendar()[1]:02d}", who, as_json)


@memo_app.command("newsletter")
def memo_newsletter(month: Month = None, who: Who = None, as_json: Json = False) -> None:
    """Signal trends month over month, new gaps, status moves, notable wins."""
    _draft("newsletter", month or _last_month(), who, as_json)


@memo_app.command("losses")
def memo_losses(month: Month = None, who: Who = None, as_json: Json = False) -> None:
    """The monthly loss summary row and the per-deal loss analysis."""
    _draft("losses", month or _last_month(), who, as_json)


def _last_month() -> str:
    first = dt.date.today().replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


@drafts_app.command("list")
def drafts_list(as_json: Json = False) -> None:
    """Every draft with its status and latest version."""
    found = workspace().desk.drafts()
    if as_json:
        emit([d.model_dump(mode="json", exclude={"versions"}) | {"versions": len(d.versions)} for d in found])
        return
    if not found:
        typer.echo("no drafts yet: `fieldsignal memo weekly`")
    for d in found:
        approved = f", approved v{d.approved_version} by {d.approved_by}" if d.approved_by else ""
        typer.echo(f"{d.id:4}  {d.kind:10} {d.period:9} {d.status:9} v{d.latest.version}{approved}")


@drafts_app.command("show")
def drafts_show(
    draft_id: int,
    version: Annotated[int | None, typer.Option(help="An earlier version.")] = None,
    as_json: Json = False,
) -> None:
    """The latest version (or `--version N`) and the history."""
    draft = workspace().desk.get(draft_id)
    chosen = next((v for v in draft.versions if v.version == version), None) if version else draft.latest
    if chosen is None:
        fail(f"draft {draft_id} has no version {version}")
    if as_json:
        emit(draft)
        return
    typer.echo(chosen.body)
    for v in draft.versions:
        typer.echo(f"-- v{v.version} {v.created_at:%Y-%m-%d %H:%M} by {v.who} ({v.source})", err=True)


@drafts_app.command("edit")
def drafts_edit(
    draft_id: int,
    file: Annotated[Path | None, typer.Option(help="Take the new text from this file instead of $EDITOR.")] = None,
    who: Who = None,
) -> None:
    """Edit in $EDITOR (or from --file); the edit is a new version and needs approval again."""
    desk = workspace().desk
    draft = desk.get(draft_id)
    body = file.read_text(encoding="utf-8") if file else _in_editor(draft.latest.body, f"draft-{draft_id}")
    after = desk.edit(draft_id, body, who or getpass.getuser(), _now())
    if after.latest.version == draft.latest.version:
        typer.echo("no change")
    else:
        typer.echo(f"draft {draft_id} v{after.latest.version} saved; approve it to publish")


def _in_editor(text: str, name: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=f"-{name}.md", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    try:
        done = subprocess.run([*shlex.split(editor), handle.name], check=False)
        if done.returncode != 0:
            fail(f"{editor} exited with {done.returncode}; the draft is unchanged")
        return Path(handle.name).read_text(encoding="utf-8")
    finally:
        Path(handle.name).unlink(missing_ok=True)


@drafts_app.command("approve")
def drafts_approve(draft_id: int, who: Who = None, as_json: Json = False) -> None:
    """Approve the latest version (records who and when)."""
    draft = workspace().desk.approve(draft_id, who or getpass.getuser(), _now())
    if as_json:
        emit(draft.model_dump(mode="json", exclude={"versions"}))
        return
    typer.echo(f"draft {draft.id} v{draft.approved_version} approved by {draft.approved_by} at {draft.approved_at}")


@drafts_app.command("publish")
def drafts_publish(draft_id: int, as_json: Json = False) -> None:
    """Write the approved version to the outbox as Markdown, HTML and .eml."""
    draft, paths = workspace().desk.publish(draft_id, _now())
    if as_json:
        emit({"draft": draft.model_dump(mode="json", exclude={"versions"}), "files": [str(p) for p in paths]})
        return
    for path in paths:
        typer.echo(str(path))


def metrics_command(
    today: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Reference date.")] = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to show.")] = 8,
    as_json: Json = False,
) -> None:
    """Success metrics: signals per week (10+), PM features influenced (2+), days to escalation (<7)."""
    m = workspace().metrics((today or dt.datetime.now()).date(), weeks)
    if as_json:
        emit(m)
        return
    for w in m.weeks:
        typer.echo(f"{w.week}  {w.signals:4} signals  {'met' if w.met else 'below'} {m.signals_per_week_target}+")
    typer.echo(f"average {m.signals_per_week_avg} signals/week (target {m.signals_per_week_target}+)")
    features = ", ".join(m.features_influenced) or "none yet"
    typer.echo(f"PM features influenced: {len(m.features_influenced)} (target {m.features_target}+): {features}")
    target = f"(target < {m.escalation_days_target:g} days)"
    if m.avg_days_to_escalation is None:
        typer.echo(f"signal-to-escalation: no signal escalated yet {target}")
    else:
        many = f"{m.escalated_signals} escalated signal{'' if m.escalated_signals == 1 else 's'}"
        typer.echo(f"signal-to-escalation: {m.avg_days_to_escalation} days over {many} {target}")

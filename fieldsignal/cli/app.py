"""The top-level `fieldsignal` app and the commands that have no group of their own
(add, import, status, tally, reindex, serve, demo, taxonomy)."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fieldsignal.cli.accounts import accounts_app
from fieldsignal.cli.ask import ask_command
from fieldsignal.cli.backfill import backfill_command
from fieldsignal.cli.common import (
    Fields,
    Json,
    Since,
    Until,
    column_map,
    emit,
    fail,
    model_progress,
    settings,
    state,
    warnings_to_stderr,
    workspace,
)
from fieldsignal.cli.gaps import gaps_app
from fieldsignal.cli.learn import eval_command, train_command
from fieldsignal.cli.llm import llm_app
from fieldsignal.cli.log import list_command, show_command, similar_command
from fieldsignal.cli.memo import drafts_app, memo_app, metrics_command
from fieldsignal.cli.migrate import migrate_command
from fieldsignal.cli.review import reject_command, restore_command, review_app, unmerge_command
from fieldsignal.errors import FieldsignalError, InputError


class _Commands(TyperGroup):
    """An error the core raises on bad input is one red line and exit code 1, however the app is run
    (the `fieldsignal` script, `python -m fieldsignal`, or Typer's test runner)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FieldsignalError as exc:
            fail(str(exc))


app = typer.Typer(
    cls=_Commands,
    help="Turn scattered field feedback into decisions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
taxonomy_app = typer.Typer(help="Show or check a taxonomy file.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(review_app, name="review")
app.add_typer(gaps_app, name="gaps")
app.add_typer(llm_app, name="llm")
app.add_typer(memo_app, name="memo")
app.add_typer(drafts_app, name="drafts")
app.add_typer(accounts_app, name="accounts")


SAMPLES = Path(__file__).parents[1] / "data" / "samples"
IMPORT_LINGER = 0.25  # seconds


@app.callback()
def _global(
    home: Annotated[
        Path | None, typer.Option(help="Workspace folder (default $FIELDSIGNAL_HOME or ~/.fieldsignal).")
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy file (default $FIELDSIGNAL_TAXONOMY or the bundled one).")
    ] = None,
) -> None:
    state.home, state.taxonomy, state.embedded = home, taxonomy, False
    warnings_to_stderr()


def _progress(total: int, enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from fieldsignal.cli.output import err

    return Progress(
        TextColumn("triaging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled or total < 2 or not err.is_terminal,
        transient=True,
    )


def _run_import(items: list[Any], as_json: bool, one_shot: bool = False) -> Any:
    # an import keeps its connection between the steps of a batch (not across a batch's triage, so
    # other writers get the file in between); a paste opens it twice and goes
    ws = workspace(one_shot=one_shot, linger=0.0 if one_shot else IMPORT_LINGER)
    notes = sum(1 for i in items if not isinstance(i, InputError))
    if notes:
        with model_progress(not as_json) as say:
            ws.triage_ready(say)
    with _progress(notes, not as_json) as bar:
        task = bar.add_task("triage", total=notes)
        return ws, ws.add_notes(items, progress=lambda n: bar.advance(task, n))


def _report(ws: Any, report: Any, as_json: bool) -> None:
    from rich.markup import escape

    from fieldsignal.cli.output import console, err, import_summary, signal_line

    signals = report.signals or ws.signals(report.signal_ids)  # a labelled import does not read its rows back
    if as_json:
        emit({"report": report, "signals": signals})
    else:
        if len(signals) <= 20:
            for signal in signals:
                console.print(signal_line(signal), highlight=False)
        console.print(import_summary(report), highlight=False)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    for failure in report.failures:
        err.print(f"[red]failed:[/] {escape(failure.error)}", highlight=False)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def add(
    text: Annotated[str | None, typer.Argument(help="The note; '-' or nothing reads stdin.")] = None,
    source: Annotated[str, typer.Option(help="Where it came from (e.g. 'slack #apps-field').")] = "paste",
    author: Annotated[str | None, typer.Option(help="Who wrote it.")] = None,
    date: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="When (YYYY-MM-DD).")] = None,
    as_json: Json = False,
) -> None:
    """Triage one pasted note into signals."""
    from fieldsignal.ingest import note_from_text

    if text in (None, "-"):
        if sys.stdin.isatty():
            fail("no text given: pass it as an argument or pipe it on stdin")
        from fieldsignal.ingest.text import read_stdin

        try:
            text = read_stdin(sys.stdin)
        except InputError as exc:
            fail(str(exc))
    try:
        note = note_from_text(text or "", source=source, author=author, date=date.date() if date else None)
    except InputError as exc:
        fail(str(exc))
    ws, report = _run_import([note], as_json, one_shot=True)  # a paste does not wait for the vector index
    _report(ws, report, as_json)


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: .txt .md .eml .mbox .csv .jsonl")],
    text_col: Annotated[str | None, typer.Option(help="CSV/JSONL column with the note text.")] = None,
    date_col: Annotated[str | None, typer.Option(help="Column with the date.")] = None,
    author_col: Annotated[str | None, typer.Option(help="Column with the author.")] = None,
    customer_col: Annotated[str | None, typer.Option(help="Column with the customer.")] = None,
    source_col: Annotated[str | None, typer.Option(help="Column with the source/channel.")] = None,
    fields: Fields = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding when not UTF-8 (e.g. cp1252).")] = None,
    labelled: Annotated[bool, typer.Option("--labeled", "--labelled", help="Rows already carry their labels.")] = False,
    as_json: Json = False,
) -> None:
    """Import notes from files and folders; a bad file is reported and the rest go on."""
    from fieldsignal.ingest import ReadOptions, read_paths

    if labelled:
        from fieldsignal.ingest.labelled import read_labelled

        ws = workspace()
        found = [item for path in paths for item in read_labelled(path, encoding=encoding)]
        _report(ws, ws.import_labelled(found), as_json)
        return
    s = settings()
    options = ReadOptions(
        columns=column_map(text_col, date_col, author_col, customer_col, source_col, fields),
        encoding=encoding,
        max_note_bytes=s.max_note_bytes,
        max_container_bytes=s.max_container_bytes,
    )
    from fieldsignal.cli.output import err

    with err.status("reading the files") if err.is_terminal and not as_json else nullcontext():
        items = list(read_paths(paths, options))
    ws, report = _run_import(items, as_json)
    _report(ws, report, as_json)


@app.command()
def status(
    signal_id: int,
    new_status: Annotated[
        str,
        typer.Argument(metavar="STATUS", help="New, Enriched, Escalated, Acknowledged, Roadmap, Shipped, Won't Fix"),
    ],
    ticket: Annotated[str | None, typer.Option(help="PM ticket id.")] = None,
    note: Annotated[str | None, typer.Option("--note", "--why", help="Why (kept with the change).")] = None,
    who: Annotated[str | None, typer.Option(help="Who (default: your login).")] = None,
    as_json: Json = False,
) -> None:
    """Move a signal through its lifecycle; the change is kept with who, when and why."""
    change = workspace().set_status(signal_id, new_status, who or getpass.getuser(), note, ticket)
    if as_json:
        emit(change)
    else:
        typer.echo(f"#{signal_id} → {change.status}" + (f" ({change.ticket})" if change.ticket else ""))


@app.command()
def tally(
    by: Annotated[
        str, typer.Option(help="gap|category|type|status|week|month|industry|competitor|customer|archetype")
    ] = "gap",
    since: Since = None,
    until: Until = None,
    as_json: Json = False,
) -> None:
    """Counts and ACV by gap, category, week... (duplicates count once)."""
    t = workspace().tally(by, since.date() if since else None, until.date() if until else None)
    if as_json:
        emit(t)
        return
    from fieldsignal.cli.output import console, tally_table

    console.print(tally_table(t))


@app.command()
def reindex(as_json: Json = False) -> None:
    """Rebuild the vector index (Chroma) from the DuckDB store."""
    counts = workspace().reindex()
    emit(counts) if as_json else typer.echo(
        f"indexed {counts['signals']} signals, {counts['notes']} notes, {counts['gap_examples']} gap texts"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (Databricks Apps set DATABRICKS_APP_PORT).")] = 8000,
) -> None:
    """The web app: paste box, review queue, signal log, dashboard, drafts, ask; JSON API under /api."""
    import os

    import uvicorn

    from fieldsignal.web.app import create_app

    port = int(os.environ.get("DATABRICKS_APP_PORT", port))
    uvicorn.run(create_app(settings()), host=host, port=port, log_level="info")


@app.command()
def demo(as_json: Json = False) -> None:
    """Fresh demo workspace: import the bundled sample notes, print the tally and the weekly memo draft."""
    state.embedded = True  # its own folder and DuckDB file, even when the settings name a shared log
    s = settings()
    s = s.model_copy(update={"home": s.home / "demo"})
    ws = workspace(s)
    ws.reset()
    from fieldsignal.ingest import read_paths

    items = list(read_paths([SAMPLES]))
    state.home = s.home
    ws, report = _run_import(items, as_json)
    t = ws.tally("gap")
    weeks = [r.key for r in ws.tally("week").rows if r.key]
    memo = ws.desk.draft("weekly", weeks[-1], "demo", dt.datetime.now().replace(microsecond=0)) if weeks else None
    if as_json:
        emit({"workspace": s.home, "report": report, "tally": t, "memo": memo})
        return
    from rich.markdown import Markdown

    from fieldsignal.cli.output import console, import_summary, tally_table

    console.print(import_summary(report), highlight=False)
    console.print(tally_table(t))
    if memo is not None:
        console.rule(f"weekly memo draft {memo.id} (stored for review: fieldsignal drafts show {memo.id})")
        console.print(Markdown(memo.latest.body))
    console.print(f"Review queue: {t.review_queue} signals.  Explore: FIELDSIGNAL_HOME={s.home} fieldsignal list")


@taxonomy_app.command("show")
def taxonomy_show(as_json: Json = False) -> None:
    """The taxonomy in use."""
    from fieldsignal.taxonomy import load_taxonomy

    t = load_taxonomy(settings().taxonomy)
    if as_json:
        emit(t)
        return
    for gap in t.gaps:
        typer.echo(
            f"{gap.category:14} {gap.slug:28} {gap.name}  [{gap.use_case_blocked}] "
            f"P{t.priority_rank(gap.slug)} · {len(gap.examples)} examples"
        )


@taxonomy_app.command("validate")
def taxonomy_validate(
    file: Annotated[Path | None, typer.Argument(help="Taxonomy file (default: the one in use).")] = None,
) -> None:
    """Check a taxonomy file; says what is wrong and where."""
    from fieldsignal.taxonomy import load_taxonomy

    t = load_taxonomy(file or settings().taxonomy)
    typer.echo(
        f"ok: {len(t.signal_types)} signal types, {len(t.category_names)} categories, "
        f"{len(t.gaps)} gaps, {len(t.status_names)} statuses"
    )


app.command("ask")(ask_command)
app.command("train")(train_command)
app.command("eval")(eval_command)
app.command("migrate")(migrate_command)
app.command("backfill")(backfill_command)
app.command("list")(list_command)
app.command("show")(show_command)
app.command("similar")(similar_command)
app.command("reject")(reject_command)
app.command("restore")(restore_command)
app.command("unmerge")(unmerge_command)
app.command("metrics")(metrics_command)


def main() -> None:
    app()

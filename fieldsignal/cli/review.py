"""`fieldsignal review`: the queue, and accept / fix decisions the triage learns from."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, workspace

review_app = typer.Typer(help="The review queue; accept or fix what the triage was unsure about.")
Who = Annotated[str | None, typer.Option(help="Who decides (default: your login).")]


@review_app.callback(invoke_without_command=True)
def queue(ctx: typer.Context, as_json: Json = False) -> None:
    """List the queue: each signal with why it is there and its runner-up labels."""
    if ctx.invoked_subcommand:
        return
    ws = workspace()
    items = [(ws.show(s.id), reasons) for s, reasons in ws.review_queue()]
    if as_json:
        emit([{"signal": d["signal"], "reasons": r, "alternatives": d["alternatives"]} for d, r in items])
        return
    from rich.markup import escape

    from fieldsignal.cli.output import console, signal_line

    for details, reasons in items:
        console.print(signal_line(details["signal"]), highlight=False)
        console.print(f"    [dim]{escape(reasons)}[/]", highlight=False)
        for field, alts in details["alternatives"].items():
            if alts:
                console.print(f"    [dim]{field} else: " + escape(", ".join(f"{a} {p:.2f}" for a, p in alts)) + "[/]")
        console.print(f"    [italic]{escape(details['signal'].excerpt[:200])}[/]", highlight=False)
    waiting = f"{len(items)} signal{'s' if len(items) != 1 else ''} waiting for review"
    console.print(f"{waiting} · `fieldsignal review accept ID` or `review fix ID ...`")
    if any("same signal as" in r for _, r in items):
        console.print("same signal? `fieldsignal review same ID` (count it once) or `review distinct ID`")


@review_app.command()
def accept(signal_id: int, who: Who = None, as_json: Json = False) -> None:
    """The triage was right: take the signal off the queue and keep it as a labelled example."""
    signal = workspace().review(signal_id, who or getpass.getuser())
    emit(signal) if as_json else typer.echo(f"#{signal_id} accepted")


@review_app.command()
def fix(
    signal_id: int,
    type_: Annotated[str | None, typer.Option("--type", help="Signal type.")] = None,
    gap: Annotated[str | None, typer.Option(help="Gap slug or name, 'none', or 'new: label'.")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    customer: Annotated[str | None, typer.Option()] = None,
    industry: Annotated[str | None, typer.Option(help="Retail, FSI, HLS, MFG, DN, Other.")] = None,
    competitor: Annotated[str | None, typer.Option()] = None,
    acv: Annotated[int | None, typer.Option(help="ACV in USD.")] = None,
    lost: Annotated[bool | None, typer.Option("--lost/--not-lost", help="Lost deal?")] = None,
    quote: Annotated[
        str | None, typer.Option(help="The words of the note that state the signal (its excerpt), as written.")
    ] = None,
    who: Who = None,
    as_json: Json = False,
) -> None:
    """Correct a signal's labels or quote; later notes like it are classified with the correction."""
    from fieldsignal.cli.common import fail
    from fieldsignal.store.review import Fix

    values = {
        "signal_type": type_,  # checked against the taxonomy's types by the store
        "gap": gap,
        "category": category,
        "customer": customer,
        "industry": industry,
        "competitor": competitor,
        "acv_usd": acv,
        "lost_deal": lost,
        "excerpt": quote,
    }
    if all(v is None for v in values.values()):
        fail(
            "nothing to fix: give --type, --gap, --category, --customer, --industry, --competitor, --acv, --lost "
            "or --quote"
        )
    try:
        change = Fix.model_validate(values)
    except ValueError as exc:
        fail(str(exc).splitlines()[-1] if str(exc) else "invalid value")
    signal = workspace().review(signal_id, who or getpass.getuser(), change)
    if as_json:
        emit(signal)
        return
    from fieldsignal.cli.output import console, signal_line

    console.print(signal_line(signal), highlight=False)


def reject_command(
    signal_id: int,
    why: Annotated[str, typer.Option("--why", help="Why it is not a signal (kept with it).")],
    who: Who = None,
    as_json: Json = False,
) -> None:
    """Not a signal: keep it, with why, but count it nowhere (tallies, memos, metrics, ask); `restore` undoes it."""
    signal = workspace().reject(signal_id, why, who or getpass.getuser())
    emit(signal) if as_json else typer.echo(f"#{signal_id} rejected: {signal.rejected_why}")


def restore_command(
    signal_id: int,
    why: Annotated[str | None, typer.Option("--why", help="Why it counts after all.")] = None,
    who: Who = None,
    as_json: Json = False,
) -> None:
    """Count a rejected signal again."""
    signal = workspace().restore(signal_id, who or getpass.getuser(), why)
    emit(signal) if as_json else typer.echo(f"#{signal_id} restored")


Of = Annotated[int | None, typer.Option("--of", help="The earlier signal (default: the one suggested).")]


@review_app.command()
def same(signal_id: int, of: Of = None, who: Who = None, as_json: Json = False) -> None:
    """Same signal: count it once, as a second report of the earlier one (`unmerge` undoes it)."""
    original = workspace().mark_same(signal_id, of, who or getpass.getuser())
    emit({"signal": signal_id, "duplicate_of": original}) if as_json else typer.echo(
        f"#{signal_id} is a second report of #{original}: counted once"
    )


@review_app.command()
def distinct(signal_id: int, of: Of = None, who: Who = None, as_json: Json = False) -> None:
    """Not the same signal: both count, and the pair is never suggested or linked again."""
    others = workspace().mark_distinct(signal_id, of, who or getpass.getuser())
    listed = ", ".join(f"#{o}" for o in others)
    emit({"signal": signal_id, "distinct_from": others}) if as_json else typer.echo(
        f"#{signal_id} is not a second report of {listed}: both count"
    )


def unmerge_command(signal_id: int, who: Who = None, as_json: Json = False) -> None:
    """Count a linked duplicate on its own again; the pair is remembered as distinct."""
    original = workspace().unmerge(signal_id, who or getpass.getuser())
    emit({"signal": signal_id, "was_duplicate_of": original}) if as_json else typer.echo(
        f"#{signal_id} counts on its own again (was a second report of #{original})"
    )

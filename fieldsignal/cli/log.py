"""`fieldsignal list`, `show` and `similar`: the signal log, searched, filtered and sorted; one signal in full;
the signals like it."""

from __future__ import annotations

from typing import Annotated

import typer

from fieldsignal.cli.common import Json, Since, Until, emit, fail, workspace

TABLE_ROWS = 50  # rows of the log's table on a terminal by default (a table of thousands helps no one)


def list_command(
    gap: Annotated[str | None, typer.Option(help="Gap slug or name.")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Signal type.")] = None,
    status: Annotated[str | None, typer.Option()] = None,
    customer: Annotated[str | None, typer.Option(help="Part of the customer name.")] = None,
    since: Since = None,
    until: Until = None,
    review: Annotated[bool | None, typer.Option("--review/--no-review", help="Only (not) flagged for review.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Words in the note, excerpt or customer.")] = None,
    industry: Annotated[str | None, typer.Option()] = None,
    competitor: Annotated[str | None, typer.Option()] = None,
    lost: Annotated[bool | None, typer.Option("--lost/--not-lost", help="Only (not) lost deals.")] = None,
    sort: Annotated[str, typer.Option(help="date, id, type, gap, customer, acv or status.")] = "date",
    asc: Annotated[bool, typer.Option("--asc", help="Ascending (default: descending).")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="Only the signals rejected as not a signal.")] = False,
    limit: Annotated[
        int | None, typer.Option(help=f"At most this many rows (0: all; the table shows {TABLE_ROWS} unless told).")
    ] = None,
    as_json: Json = False,
) -> None:
    """The signal log, newest first, filterable."""
    from fieldsignal.store.signals import SORTS, SignalFilter

    if sort not in SORTS:
        fail(f"cannot sort by {sort!r} (use one of: {', '.join(SORTS)})")
    f = SignalFilter(
        gap=gap,
        category=category,
        signal_type=type_,
        status=status,
        customer=customer,
        since=since.date() if since else None,
        until=until.date() if until else None,
        needs_review=review,
        rejected=rejected,
        text=text,
        industry=industry,
        competitor=competitor,
        lost=lost,
        sort=sort,  # type: ignore[arg-type]
        ascending=asc,
        limit=limit,
    )
    signals = workspace().list_signals(f)
    if as_json:
        emit(signals)
        return
    from fieldsignal.cli.output import console, signals_table

    shown = signals if limit is not None else signals[:TABLE_ROWS]
    title = f"{'Rejected signals' if rejected else 'Signal log'} ({len(signals)})"
    if len(shown) < len(signals):
        title = f"Signal log (newest {len(shown)} of {len(signals)}; --limit 0 shows all, --json for scripts)"
    console.print(signals_table(shown, title))


def show_command(signal_id: int, as_json: Json = False) -> None:
    """One signal: its note, alternatives, review state and status history."""
    details = workspace().show(signal_id)
    if as_json:
        emit(details)
        return
    from fieldsignal.cli.output import console, signal_line

    s, note = details["signal"], details["note"]
    console.print(signal_line(s), highlight=False)
    console.print(f"[dim]note {note['id']} · {note['source']} · {note['author'] or 'unknown author'} · {s.date}[/]")
    decided = f"{s.decided_by} ({s.llm_model}, {s.prompt_id})" if s.decided_by == "llm" else s.decided_by
    console.print(f"[dim]decided by {decided}[/]")
    console.print(note["text"], highlight=False, markup=False)
    for field, alts in details["alternatives"].items():
        if alts:
            console.print(f"[dim]{field} alternatives:[/] " + ", ".join(f"{a} {p:.2f}" for a, p in alts))
    if details["review"]:
        console.print(f"[yellow]review:[/] {details['review']['reasons']}")
    for h in details["history"]:
        console.print(f"  {h.at:%Y-%m-%d %H:%M} {h.status} by {h.who}" + (f": {h.why}" if h.why else ""))
    for r in details["rejections"]:
        console.print(f"  {r.at:%Y-%m-%d %H:%M} {r.action}ed by {r.who}" + (f": {r.why}" if r.why else ""))
    if s.rejected_at:
        console.print(f"[red]rejected, counted nowhere:[/] {s.rejected_why}  (`fieldsignal restore {s.id}`)")


def similar_command(
    signal_id: int,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many signals to list.")] = 5,
    as_json: Json = False,
) -> None:
    """Other notes' signals nearest in meaning to this one (the closer of their quotes' and their whole
    notes' cosine): who else reports the same thing in other words, and how it was labelled. Reads stored
    vectors (no model loads)."""
    found = workspace().similar(signal_id, limit)
    if as_json:
        emit([{"signal": s, "cosine": round(score, 4)} for s, score in found])
        return
    from rich.markup import escape

    from fieldsignal.cli.output import clipped, console, signal_line

    if not found:
        console.print(f"no other note's signal in the index is like #{signal_id}")
    for s, score in found:
        console.print(f"{score:.2f}  {signal_line(s)}", highlight=False)
        console.print(f"      [italic]{escape(clipped(s.excerpt, 160))}[/]", highlight=False)

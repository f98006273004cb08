"""`fieldsignal ask`: a plain-English question, an exact answer, its SQL and its signals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, workspace


def ask_command(
    question: Annotated[str, typer.Argument(help='e.g. "which gap cost us the most ACV in FSI last quarter?"')],
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Resolve 'last quarter' etc. against this date.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Answer a question about blockers with exact numbers, the SQL run and the signal ids behind it."""
    result = workspace().ask(question, today.date() if today else None)
    if as_json:
        emit(result)
    else:
        from fieldsignal.cli.output import answer_view, console

        for part in answer_view(result):
            console.print(part)
    if not result.understood:  # scripts see "no answer" in the exit code, with --json too
        raise typer.Exit(1)

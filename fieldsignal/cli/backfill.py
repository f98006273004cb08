"""`fieldsignal backfill`: archived notes triaged on Spark, then stored in the log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli.common import Fields, Json, column_map, emit, fail, model_progress, workspace
from fieldsignal.errors import FieldsignalError, InputError


def backfill_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="JSONL/CSV files or folders, Parquet or Delta folders, `table:catalog.schema.name`; "
            "or an earlier backfill's output folder, to store it"
        ),
    ],
    master: Annotated[
        str | None,
        typer.Option(help="Spark master: local[2], spark://host:7077 (default: the active session, else local[2])."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Folder for the triaged notes and signals tables (default under the workspace).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Table format of the output: parquet or delta.")] = "parquet",
    store: Annotated[bool, typer.Option("--store/--no-store", help="Store the signals in the log afterwards.")] = True,
    text_col: Annotated[str | None, typer.Option(help="Column with the note text.")] = None,
    date_col: Annotated[str | None, typer.Option(help="Column with the date.")] = None,
    author_col: Annotated[str | None, typer.Option(help="Column with the author.")] = None,
    customer_col: Annotated[str | None, typer.Option(help="Column with the customer.")] = None,
    source_col: Annotated[str | None, typer.Option(help="Column with the source/channel.")] = None,
    fields: Fields = None,
    as_json: Json = False,
) -> None:
    """Triage archived notes on Spark (a cluster or local[N]) and store them; a re-run adds nothing."""
    from rich.markup import escape

    from fieldsignal.backfill import job
    from fieldsignal.cli.output import console, err, import_summary

    ws = workspace()
    earlier = [p for p in paths if (Path(p) / job.MARKER).is_file()]
    if earlier and len(paths) > 1:
        fail("give an earlier backfill's output folder alone (it is stored, not triaged again)")
    columns = column_map(text_col, date_col, author_col, customer_col, source_col, fields)
    target = output or ws.settings.home / "backfills" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        with model_progress(not as_json) as say:
            if earlier:
                result = job.load(ws, Path(earlier[0]), master, say)
            else:
                result = job.run(ws, paths, target, master, columns, fmt, store, say)
    except (InputError, FieldsignalError) as exc:
        fail(str(exc))
    report = result.report
    if as_json:
        emit({"backfill": result.summary(), "report": report})
    else:
        rate = result.rows / result.seconds if result.seconds else 0.0
        console.print(
            f"{result.rows} rows read: {result.triaged} triaged, {result.known} already in the log, "
            f"{result.failed} failed; tables in {escape(result.output)} ({result.seconds:.1f} s, {rate:.1f} rows/s)",
            highlight=False,
        )
        if store or earlier:
            console.print(import_summary(report), highlight=False)
        for failure in report.failures[:20]:
            err.print(f"[red]failed:[/] {escape(failure.error)}", highlight=False)
        if result.failed > min(len(report.failures), 20):
            shown = min(len(report.failures), 20)
            err.print(f"{result.failed - shown} more failed rows: see `error` in {escape(result.output)}/notes")
    if result.failed:
        raise typer.Exit(1)

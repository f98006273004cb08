"""`fieldsignal migrate`: the log's schema, and copying a workspace's log into PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, workspace


def migrate_command(
    to: Annotated[
        str | None,
        typer.Option("--to", help="Copy this workspace's log into this store (postgresql://… URL or a .duckdb file)."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Bring the log's schema up to date; with --to, copy the whole log into another store (idempotent)."""
    ws = workspace()
    if to is None:
        info = ws.describe_log()
        if as_json:
            emit(info)
            return
        typer.echo(
            f"{info['engine']} log at {info['where']}: schema version {info['schema_version']}, "
            f"{info['signals']} signals"
        )
        return
    copied = ws.copy_log_to(to)
    if as_json:
        emit({"to": to.split("@")[-1], "tables": copied})
        return
    width = max(len(t.table) for t in copied)
    typer.echo(f"{'table':<{width}}  {'source':>7}  {'copied':>7}  {'target':>7}")
    for t in copied:
        typer.echo(f"{t.table:<{width}}  {t.source:>7}  {t.copied:>7}  {t.target:>7}")
    total = sum(t.copied for t in copied)
    typer.echo(f"copied {total} rows; every source row is in the target (checked)")

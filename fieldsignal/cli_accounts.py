"""`fieldsignal accounts`: the account list a note's customer is linked to ("BWM" → Brightwater Mutual)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli_support import Json, emit, workspace

accounts_app = typer.Typer(help="The account list (from the CRM) that customers named in notes are linked to.")


@accounts_app.callback(invoke_without_command=True)
def listing(ctx: typer.Context, as_json: Json = False) -> None:
    """The accounts listed."""
    if ctx.invoked_subcommand:
        return
    names = workspace().accounts()
    if as_json:
        emit(names)
        return
    for name in names:
        typer.echo(name)
    typer.echo(f"{len(names)} accounts · `fieldsignal accounts import FILE` adds more", err=True)


@accounts_app.command("import")
def import_accounts(
    path: Annotated[Path, typer.Argument(help="A CSV/JSONL export with an account-name column, or one name per line.")],
    column: Annotated[str | None, typer.Option(help="The column that holds the account name.")] = None,
    as_json: Json = False,
) -> None:
    """Add the accounts of a CRM export; later notes that name one, however written, are linked to it."""
    from fieldsignal.ingest.accounts import read_accounts

    names = read_accounts(path, column)
    added, listed = workspace().add_accounts(names, path.name)
    if as_json:
        emit({"read": len(names), "added": added, "accounts": listed})
        return
    typer.echo(f"{added} accounts added ({len(names) - added} already listed); {listed} in all")

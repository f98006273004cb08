"""`fieldsignal accounts`: the account list a note's customer is linked to ("BWM" → Brightwater Mutual)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, workspace

accounts_app = typer.Typer(help="The account list (from the CRM) that customers named in notes are linked to.")


@accounts_app.callback(invoke_without_command=True)
def listing(ctx: typer.Context, as_json: Json = False) -> None:
    """The accounts listed."""
    if ctx.invoked_subcommand:
        return
    listed = workspace().account_industries(every=True)
    if as_json:
        emit(list(listed))
        return
    width = max((len(name) for name in listed), default=0)
    for name, industry in listed.items():
        typer.echo(f"{name:<{width}}  {industry}" if industry else name)
    typer.echo(f"{len(listed)} accounts · `fieldsignal accounts import FILE` adds more", err=True)


@accounts_app.command("import")
def import_accounts(
    path: Annotated[Path, typer.Argument(help="A CSV/JSONL export with an account-name column, or one name per line.")],
    column: Annotated[str | None, typer.Option(help="The column that holds the account name.")] = None,
    industry_column: Annotated[
        str | None, typer.Option(help="The column that holds the account's industry (default: Industry, if there).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Add the accounts of a CRM export; later notes that name one, however written, are linked to it
    (and take the industry the export gives it). With a list, a note that names no account on it is
    doubted by the review gate; without one, a customer the log has not seen is simply new."""
    from fieldsignal.ingest.accounts import read_accounts

    accounts = read_accounts(path, column, industry_column)
    done = workspace().add_accounts(accounts, path.name)
    with_industry = sum(1 for a in accounts if a.industry and a.industry not in done.unknown_industries)
    if as_json:
        emit(
            {
                "read": len(accounts),
                "added": done.added,
                "accounts": done.listed,
                "with_industry": with_industry,
                "industries_changed": done.industries_changed,
                "unknown_industries": done.unknown_industries,
            }
        )
        return
    typer.echo(f"{done.added} accounts added ({len(accounts) - done.added} already listed); {done.listed} in all")
    if with_industry:
        changed = f", {done.industries_changed} changed" if done.industries_changed else ""
        typer.echo(f"{with_industry} with an industry{changed}")
    if done.unknown_industries:
        shown = ", ".join(repr(u) for u in done.unknown_industries[:5])
        more = f" and {len(done.unknown_industries) - 5} more" if len(done.unknown_industries) > 5 else ""
        typer.echo(
            f"industry not in the taxonomy, left unset: {shown}{more} "
            "(add it to an industry's aliases in the taxonomy file, then import again)",
            err=True,
        )

"""`fieldsignal gaps`: proposed new gaps, and promote / merge / dismiss decisions."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, workspace

gaps_app = typer.Typer(help="Proposed new gaps: list them; promote, merge or dismiss one.")
Who = Annotated[str | None, typer.Option(help="Who decides (default: your login).")]


@gaps_app.callback(invoke_without_command=True)
def proposals(ctx: typer.Context, as_json: Json = False) -> None:
    """Signals that matched no known gap, grouped into candidate gaps."""
    if ctx.invoked_subcommand:
        return
    found = workspace().proposals()
    if as_json:
        emit(
            [
                {
                    "id": p.id,
                    "label": p.label,
                    "signals": [s.id for s in p.signals],
                    "customers": p.customers,
                    "acv_usd": p.acv_usd,
                    "excerpts": [s.excerpt for s in p.signals[:3]],
                }
                for p in found
            ]
        )
        return
    from rich.markup import escape

    from fieldsignal.cli.output import console, money

    for p in found:
        console.print(
            f"[bold]{p.id}[/] {escape(p.label)} · {len(p.signals)} signals · "
            f"{escape(', '.join(p.customers) or 'no customer named')} · {money(p.acv_usd)}",
            highlight=False,
        )
        for s in p.signals[:3]:
            console.print(f"    #{s.id} [italic]{escape(s.excerpt[:160])}[/]", highlight=False)
    console.print(f"{len(found)} proposed gaps · `fieldsignal gaps promote|merge|dismiss ID`")


@gaps_app.command()
def promote(
    proposal_id: str,
    name: Annotated[str, typer.Option(help="The new gap's name, e.g. 'No websocket support'.")],
    category: Annotated[str, typer.Option(help="One of the taxonomy's categories.")],
    use_case: Annotated[str, typer.Option(help="Use case blocked.")] = "",
    description: Annotated[str, typer.Option(help="What the gap is.")] = "",
    who: Who = None,
    as_json: Json = False,
) -> None:
    """Make a proposal a known gap of this workspace (kept in the log)."""
    who = who or getpass.getuser()
    gap, settled = workspace().promote(proposal_id, name, category, who, use_case, description)
    emit(settled) if as_json else typer.echo(f"{gap.name} ({gap.slug}) added; {len(settled)} signals moved to it")


@gaps_app.command()
def merge(
    proposal_id: str,
    into: Annotated[str, typer.Option(help="Known gap slug or name.")],
    who: Who = None,
    as_json: Json = False,
) -> None:
    """The proposal is a known gap after all: move its signals there."""
    settled = workspace().settle_proposal(proposal_id, "merge", who or getpass.getuser(), into=into)
    emit(settled) if as_json else typer.echo(f"{len(settled)} signals merged into {settled[0].gap_name}")


@gaps_app.command()
def dismiss(proposal_id: str, who: Who = None, as_json: Json = False) -> None:
    """Not a product gap: its signals keep their type and lose the proposal."""
    settled = workspace().settle_proposal(proposal_id, "dismiss", who or getpass.getuser())
    emit(settled) if as_json else typer.echo(f"{len(settled)} signals no longer propose a gap")

"""`fieldsignal llm`: check the endpoint, and show what the LLM has cost."""

from __future__ import annotations

import dataclasses

import typer

from fieldsignal.cli.common import Json, Since, emit, fail, settings, workspace

llm_app = typer.Typer(help="The optional LLM endpoint: check it, see its token usage.", no_args_is_help=True)


@llm_app.command("check")
def llm_check(as_json: Json = False) -> None:
    """Send one tiny request to the configured endpoint and say clearly what is wrong, if anything."""
    from fieldsignal.llm.provider import check

    s = settings()
    if not s.llm_model:
        fail("no LLM configured: set FIELDSIGNAL_LLM_MODEL (and FIELDSIGNAL_LLM_BASE_URL, FIELDSIGNAL_LLM_API_KEY)")
    result = check(s)
    if as_json:
        emit(dataclasses.asdict(result))
    else:
        where = result.base_url or "the provider's default URL"
        typer.echo(f"{result.provider} · {result.model} · {where} · {result.seconds:.2f}s: {result.message}")
    if not result.ok:
        raise typer.Exit(1)


@llm_app.command("usage")
def llm_usage(since: Since = None, as_json: Json = False) -> None:
    """Calls, cache hits, failures and tokens by model and prompt version."""
    rows = workspace().llm_usage(since.date() if since else None)
    if as_json:
        emit(rows)
        return
    if not rows:
        typer.echo("no LLM calls recorded")
        return
    typer.echo(f"{'model':24} {'prompt':12} {'calls':>6} {'cached':>7} {'failed':>7} {'in tok':>9} {'out tok':>9}")
    for r in rows:
        counts = f"{r.calls:6} {r.cached:7} {r.failed:7} {r.input_tokens:9} {r.output_tokens:9}"
        typer.echo(f"{r.model:24} {r.prompt_id:12} {counts}")

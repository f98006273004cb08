"""`fieldsignal train` and `fieldsignal eval`: build the models, and score the triage on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli_support import Json, emit, fail, settings, workspace


def train_command(
    learned: Annotated[
        bool, typer.Option("--learned", help="Build (or find cached) the learned triage model from the corpus.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Fine-tune the local model on the labelled gap texts (SetFit-style); --learned: build the learned triage."""
    ws = workspace()
    if learned:
        import time

        started = time.perf_counter()
        say = None if as_json else (lambda message: typer.echo(message, err=True))
        ws.build_learned_triage(say)
        seconds = round(time.perf_counter() - started, 1)
        if as_json:
            emit({"built": True, "seconds": seconds})
        else:
            typer.echo(f"learned triage ready in {seconds} s (cached; used when FIELDSIGNAL_TRIAGE=learned)")
        return
    if not as_json:
        typer.echo("tuning the local model on the labelled gap texts (about a minute on 2 cores)...", err=True)
    report = ws.train()
    if as_json:
        emit(report)
        return
    typer.echo(
        f"tuned on {report.texts} texts of {report.labels} labels ({report.reviewed_examples} reviewed) "
        f"in {report.steps} steps, {report.seconds} s; saved to {report.path} (version {report.version})"
    )


def eval_command(
    data: Annotated[Path | None, typer.Option(help="Labelled rows (.jsonl).")] = None,
    dupes: Annotated[Path | None, typer.Option(help="Duplicate pairs (.jsonl).")] = None,
    questions: Annotated[Path | None, typer.Option(help="Questions with answers (.jsonl).")] = None,
    few_shot: Annotated[int | None, typer.Option(help="K examples per label from split=train rows.")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Taxonomy to score against (default: the one in use).")] = None,
    fine_tune: Annotated[
        bool, typer.Option("--fine-tune", help="First tune the local model on the taxonomy's (or few-shot) examples.")
    ] = False,
    group_by: Annotated[
        str | None,
        typer.Option(help="Cross-group: train the learned triage without each group (e.g. writer), score it on it."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Score the triage on labelled data (fresh temporary workspace; nothing learnt from scored rows)."""
    from fieldsignal.eval.runner import run_eval
    from fieldsignal.taxonomy import load_taxonomy

    if data is None and dupes is None:
        fail("give --data FILE.jsonl (and/or --dupes FILE.jsonl)", 2)
    s = settings()
    tax = load_taxonomy(taxonomy or s.taxonomy)
    report = run_eval(data, s, tax, few_shot, dupes=dupes, fine_tune=fine_tune, questions=questions, group_by=group_by)
    if as_json:
        emit(report)
        return
    from fieldsignal.render import console, eval_tables

    for table in eval_tables(report):
        console.print(table)

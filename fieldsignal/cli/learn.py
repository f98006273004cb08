"""`fieldsignal train` and `fieldsignal eval`: build the models, and score the triage on labelled data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from fieldsignal.cli.common import Json, emit, fail, model_progress, settings, workspace


def train_command(
    learned: Annotated[
        bool, typer.Option("--learned", hidden=True, help="The default (kept for old scripts).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Build the triage models from the corpus (fixed seed; cached), with this workspace's corrections."""
    import time

    from fieldsignal.triage.gate import summary

    ws = workspace()
    started = time.perf_counter()
    with model_progress(not as_json) as say:
        triage = ws.train(say)
        ws.warm_up(say)  # and both encoders exported to ONNX, so the first paste finds them cached
    seconds = round(time.perf_counter() - started, 1)
    gate = getattr(triage.model, "gate", None)
    figures = summary(gate) if gate is not None else {}
    scorer = ws.duplicate_scorer
    dupes = {"link": scorer.link, "ask": scorer.ask, **scorer.figures} if scorer is not None else {}
    if as_json:
        emit({"built": True, "seconds": seconds, "review_gate": figures, "duplicates": dupes})
        return
    typer.echo(f"triage model ready in {seconds} s (cached; rebuilt when the corpus, taxonomy or code change)")
    for name, what in (("linked", "customers linked to an account list"), ("read", "notes read alone")):
        if name in figures:
            f = figures[name]
            typer.echo(
                f"review gate, {what}: {f['review_share']:.0%} to review, {f['right']:.1%} of the rest right "
                "in every field (out of fold, on the corpus writers)"
            )
    if "log_links" in dupes:
        typer.echo(
            f"second reports, each writer's notes replayed as a log: {dupes['log_links']:.0f} links, "
            f"{dupes['log_precision']:.1%} of them right, {dupes['log_recall']:.1%} of second reports linked, "
            f"{dupes['log_questions']:.0f} asked about (out of fold; bars: link {dupes['link']:.2f}, "
            f"ask {dupes['ask']:.2f})"
        )


def eval_command(
    data: Annotated[Path | None, typer.Option(help="Labelled rows (.jsonl).")] = None,
    dupes: Annotated[Path | None, typer.Option(help="Duplicate pairs (.jsonl).")] = None,
    questions: Annotated[Path | None, typer.Option(help="Questions with answers (.jsonl).")] = None,
    evidence: Annotated[
        list[Path] | None,
        typer.Option(help="Marked evidence sentences (.jsonl, repeatable): score which sentence each excerpt quotes."),
    ] = None,
    few_shot: Annotated[int | None, typer.Option(help="K examples per label from split=train rows.")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Taxonomy to score against (default: the one in use).")] = None,
    group_by: Annotated[
        str | None,
        typer.Option(help="Cross-group: train the learned triage without each group (e.g. writer), score it on it."),
    ] = None,
    encoder_folds: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="With --group-by and a tuned encoder: how many encoders to tune (each without 1/N of the groups).",
        ),
    ] = None,
    head_folds: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="With --group-by: fit the heads N times, each without 1/N of the groups, not once per group "
            "(with a tuned encoder: once per encoder).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress lines on stderr.")] = False,
    as_json: Json = False,
) -> None:
    """Score the triage on labelled data (fresh temporary workspace; nothing learnt from scored rows)."""
    from fieldsignal.eval.runner import run_eval
    from fieldsignal.taxonomy import load_taxonomy

    if data is None and dupes is None:
        fail("give --data FILE.jsonl (and/or --dupes FILE.jsonl)", 2)
    s = settings()
    tax = load_taxonomy(taxonomy or s.taxonomy)
    with _eval_progress(not quiet) as progress:
        report = run_eval(
            data, s, tax, few_shot, dupes=dupes, questions=questions, group_by=group_by,
            progress=progress, encoder_folds=encoder_folds, head_folds=head_folds, evidence=evidence or [],
        )  # fmt: skip
    if as_json:
        emit(report)
        return
    from fieldsignal.cli.output import console, eval_tables

    for table in eval_tables(report):
        console.print(table)


@contextmanager
def _eval_progress(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """Progress of a long evaluation: timed lines in a log; on a terminal, under a spinner, where the
    counts ("encoded 64/3026") only turn the spinner and the steps stay on screen."""
    import time

    from fieldsignal.cli.output import err

    if not enabled:
        yield None
        return
    started = time.perf_counter()
    if not err.is_terminal:
        yield lambda what: typer.echo(f"[{time.perf_counter() - started:6.0f} s] {what}", err=True)
        return
    with err.status("evaluating") as live:

        def say(what: str) -> None:
            line = f"[{time.perf_counter() - started:6.0f} s] {what}"
            live.update(line)
            if not (what.startswith("encoded ") or ": step " in what):
                err.print(line, highlight=False)

        yield say

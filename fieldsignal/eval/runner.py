"""`fieldsignal eval`: score the triage on labelled rows, on a fresh temporary workspace.

Nothing learnt while scoring: the workspace is new and empty, customer memory is off,
and in few-shot mode only `split: train` rows (K per label, fixed seed) become the
taxonomy while `split: test` rows are scored.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fieldsignal.errors import InputError
from fieldsignal.eval.excerpts import load_marks, score_excerpts
from fieldsignal.eval.figures import (
    OUT_OF_SCOPE,
    EvalRow,
    account_figures,
    customer_figures,
    score,
)
from fieldsignal.eval.metrics import (
    classification_report,
    confusions,
)
from fieldsignal.models import NoteInput, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy, taxonomy_from_labels
from fieldsignal.triage.evidence import Marked
from fieldsignal.workspace import Workspace


def load_rows(path: Path) -> tuple[list[EvalRow], list[set[str]]]:
    """Rows, and for each the set of fields it labels (a key present with null counts)."""
    rows, present = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            rows.append(EvalRow.model_validate(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(f"{path} line {number}: {exc}") from None
        present.append(set(raw))
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows, present


def run_eval(
    data: Path | None,
    settings: Settings,
    taxonomy: Taxonomy,
    few_shot: int | None = None,
    seed: int = 13,
    dupes: Path | None = None,
    questions: Path | None = None,
    group_by: str | None = None,
    progress: Callable[[str], None] | None = None,
    encoder_folds: int | None = None,
    head_folds: int | None = None,
    evidence: Sequence[Path] = (),
) -> dict[str, Any]:
    started = time.perf_counter()
    rows, present = load_rows(data) if data else ([], [])
    if evidence and (group_by or few_shot or not rows):
        raise InputError(
            "--evidence scores the excerpts of a plain evaluation: give --data, without --group-by or --few-shot"
        )
    marks = load_marks(evidence) if evidence else {}
    with tempfile.TemporaryDirectory(prefix="fieldsignal-eval-") as home:
        fresh = settings.model_copy(update={"home": Path(home), "vectorstore": "memory"})
        report: dict[str, Any] = {}
        if questions:
            if data is None:
                raise InputError("--questions needs --data: the rows are imported with their labels first")
            from fieldsignal.eval.questions import score_questions

            report["questions"] = score_questions(Workspace(fresh, taxonomy, learn=False), data, questions)
            rows = []  # the rows were the log the questions ask about, not triage cases
        if rows:
            if group_by:
                from fieldsignal.eval.grouped import run_grouped

                report = run_grouped(
                    rows, present, fresh, taxonomy, group_by, seed, progress, encoder_folds, head_folds
                )
            elif few_shot:
                report = _few_shot(rows, fresh, few_shot, seed)
            else:
                report = score_workspace(rows, present, Workspace(fresh, taxonomy, learn=False), taxonomy, marks)
        if dupes:
            from fieldsignal.eval.dupes import LogRow, load_pairs, score_pairs

            ws = Workspace(fresh, taxonomy, learn=False)
            notes = [NoteInput(text=r.text, date=r.date, author=r.author) for r in rows]
            by_id = {r.id: n for r, n in zip(rows, notes, strict=True) if r.id}
            log = [LogRow(r.text, r.id, r.writer, r.date.isoformat() if r.date else "", r.duplicate_of) for r in rows]
            report["dupes"] = score_pairs(ws, load_pairs(dupes), by_id, notes or None, log)
    report["mode"] = "llm" if settings.llm_enabled else "offline"
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def _triage(ws: Workspace, rows: list[EvalRow]) -> list[TriageResult]:
    notes = [NoteInput(text=r.text, author=r.author) for r in rows]
    results: list[TriageResult] = []
    for start in range(0, len(notes), 64):
        results += ws.triage_notes(notes[start : start + 64])
    return results


def score_workspace(
    rows: list[EvalRow],
    present: list[set[str]],
    ws: Workspace,
    taxonomy: Taxonomy,
    marks: dict[str, list[Marked]] | None = None,
) -> dict[str, Any]:
    """Every figure of labelled rows triaged by this workspace's triage (a learn=False workspace); with marked
    evidence sentences (`marks`, by note id), how well the excerpts quote them."""
    results = _triage(ws, rows)
    report = (
        score(rows, present, results, taxonomy)
        | customer_figures(rows, present, results, ws.triage.link_accounts)
        | account_figures(rows, present, results, ws.triage.link_accounts, taxonomy)
    )
    if marks:
        report["excerpts"] = score_excerpts(rows, results, marks)
    return report


def _few_shot(rows: list[EvalRow], settings: Settings, k: int, seed: int) -> dict[str, Any]:
    """The triage's machinery trained on K examples per label only (no corpus), scored on the test rows.

    A label is predicted when its calibrated probability reaches a bar, else the row is out of scope.
    The bar is 0 when no row is out of scope; else the lowest that reaches out-of-scope recall 0.80 on
    the `val` rows when there are any (never the test rows), else the review threshold. `oos_curve`
    shows the test rows at every bar.
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.split == "train" and row.label and row.label.lower() not in OUT_OF_SCOPE:
            by_label[row.label].append(row.text)
    if not by_label:
        raise InputError("--few-shot needs rows with split 'train' and a label")
    rng = random.Random(seed)
    shots = {label: rng.sample(texts, min(k, len(texts))) for label, texts in sorted(by_label.items())}
    taxonomy = taxonomy_from_labels(shots)
    test = [r for r in rows if r.split == "test"]
    if not test:
        raise InputError("--few-shot needs rows with split 'test' to score")
    ws = Workspace(settings.model_copy(update={"corpus": Path(os.devnull)}), taxonomy, learn=False)
    names = {g.slug: g.name for g in taxonomy.gaps}

    def scored(part: list[EvalRow]) -> tuple[list[str | None], list[tuple[str | None, float]]]:
        gold = [None if (r.label or "").lower() in OUT_OF_SCOPE else r.label for r in part]
        found = [
            (names.get(res.signals[0].gap.label or ""), res.signals[0].gap.confidence) for res in _triage(ws, part)
        ]
        return gold, found

    def predicted(found: list[tuple[str | None, float]], bar: float) -> list[str | None]:
        return [label if confidence >= bar else None for label, confidence in found]

    bars = [round(0.02 * i, 2) for i in range(51)]
    bar, chosen_on = settings.review_threshold, "review threshold"
    if not any((r.label or "").lower() in OUT_OF_SCOPE for r in rows):
        bar, chosen_on = 0.0, "no out-of-scope rows: every row gets its most likely label"
    val = [r for r in rows if r.split == "val"]
    if val and any((r.label or "").lower() in OUT_OF_SCOPE for r in val):
        val_gold, val_found = scored(val)
        reaching = [b for b in bars if (_oos_point(val_gold, predicted(val_found, b))["oos_recall"] or 0) >= 0.8]
        bar, chosen_on = (reaching[0], "val rows: out-of-scope recall 0.80") if reaching else (bar, chosen_on)
    gold, found = scored(test)
    pred = predicted(found, bar)
    report = classification_report(gold, pred)
    report.update(_oos_point(gold, pred))
    report["threshold"], report["threshold_chosen_on"] = bar, chosen_on
    report["confusions"] = confusions(gold, pred)
    if any(g is None for g in gold):
        report["oos_curve"] = [{"threshold": b, **_oos_point(gold, predicted(found, b))} for b in bars[::5]]
    return {"label": report, "few_shot": k, "labels": len(shots)}


def _oos_point(gold: list[str | None], pred: list[str | None]) -> dict[str, float | None]:
    pairs = list(zip(gold, pred, strict=True))
    in_scope = [g == p for g, p in pairs if g is not None]
    oos = [p is None for g, p in pairs if g is None]
    return {
        "in_scope_accuracy": round(sum(in_scope) / len(in_scope), 4) if in_scope else None,
        "oos_recall": round(sum(oos) / len(oos), 4) if oos else None,
    }

"""`fieldsignal eval --dupes`: precision, recall and F1 of duplicate detection on labelled pairs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from fieldsignal.dedupe.candidates import Candidate, from_draft, same_signal
from fieldsignal.dedupe.replay import log_figures, replay
from fieldsignal.dedupe.training import first_reports, writer_logs
from fieldsignal.errors import InputError
from fieldsignal.models import NoteInput, TriageResult
from fieldsignal.workspace import Workspace


class Pair(BaseModel):
    model_config = ConfigDict(extra="ignore")

    is_duplicate: bool
    id_a: str | None = None
    id_b: str | None = None
    text_a: str | None = None
    text_b: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Pair:
        if not ((self.id_a and self.id_b) or (self.text_a and self.text_b)):
            raise ValueError("a pair needs id_a and id_b, or text_a and text_b")
        return self


def load_pairs(path: Path) -> list[Pair]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pairs.append(Pair.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(f"{path} line {number}: {exc}") from None
    if not pairs:
        raise InputError(f"{path}: no pairs")
    return pairs


def pair_candidates(ws: Workspace, notes: list[NoteInput]) -> list[list[Candidate]]:
    """Each note triaged as a paste is, its signals as duplicate candidates (excerpts embedded)."""
    results: list[TriageResult] = []
    for start in range(0, len(notes), 64):
        results += ws.triage_notes(notes[start : start + 64])
    vectors = iter(ws.embedder.encode([d.excerpt for r in results for d in r.signals]))
    whole = ws.embedder.encode([n.text for n in notes])
    known = set(ws.taxonomy.gap_by_slug)
    return [
        [from_draft(d, n * 100 + k, n, note.text, known, next(vectors), whole[n]) for k, d in enumerate(r.signals)]
        for n, (note, r) in enumerate(zip(notes, results, strict=True))
    ]


Decide = Callable[[list[Candidate], list[Candidate]], tuple[str | None, float]]


def _matcher(ws: Workspace) -> tuple[Decide, str]:
    """(whether the second note repeats the first: "link", "ask" or None, with a probability; which matcher)."""
    scorer = ws.duplicate_scorer
    if scorer is not None:
        return scorer.decide, "learned"

    def rule(old: list[Candidate], new: list[Candidate]) -> tuple[str | None, float]:
        same = any(same_signal(x, y) for x in old for y in new)
        return ("link" if same else None), float(same)

    return rule, "rule (no scorer: the corpus has no second reports)"


@dataclass(frozen=True)
class LogRow:
    """A note of `--data` as the log replay reads it: its text, id, writer, date and the id it repeats."""

    text: str
    id: str | None
    writer: str | None
    date: str
    duplicate_of: str | None


def score_pairs(
    ws: Workspace,
    pairs: list[Pair],
    notes_by_id: dict[str, NoteInput],
    corpus: list[NoteInput] | None = None,
    log: list[LogRow] | None = None,
) -> dict[str, Any]:
    """Precision, recall and F1 of linking (probability at or above the link bar), how many pairs would
    be asked about, and, given the notes of `--data` (`corpus`), where the first report ranks among
    all of them for each second report (Recall@1/5/10); with their `duplicate_of` labels (`log`), the
    notes replayed as a log (`in_a_log`)."""
    notes: list[NoteInput] = []
    for pair in pairs:
        for ident, text in ((pair.id_a, pair.text_a), (pair.id_b, pair.text_b)):
            if text is not None:
                notes.append(NoteInput(text=text))
            elif ident in notes_by_id:
                notes.append(notes_by_id[ident])
            else:
                raise InputError(f"--dupes names id {ident!r}, which is not in --data")
    unique = list({n.text: n for n in [*notes, *(corpus or [])]}.values())
    found = dict(zip((n.text for n in unique), pair_candidates(ws, unique), strict=True))
    decide, matcher = _matcher(ws)
    report = {**link_figures(pairs, notes, found, decide), "matcher": matcher}
    if corpus:
        report |= _retrieval(pairs, notes, found, [n.text for n in corpus], lambda x, y: decide(x, y)[1])
    scorer = ws.duplicate_scorer
    if log and scorer is not None and any(row.duplicate_of for row in log):
        report["in_a_log"] = in_a_log(log, found, scorer)
    return report


def link_figures(
    pairs: list[Pair], notes: list[NoteInput], found: dict[str, list[Candidate]], decide: Decide
) -> dict[str, Any]:
    """How `decide` does on the pairs (`notes[2 i]`, `notes[2 i + 1]` the two notes of pair i, `found`
    their signals as candidates): precision, recall and F1 of what it links, what it asks about, its
    ranking's AUC, and the bare cosine measured beside it (`against_bare_cosine`)."""
    tp = fp = fn = asked = asked_right = 0
    probabilities: list[float] = []
    for index, pair in enumerate(pairs):
        verdict, probability = decide(found[notes[2 * index].text], found[notes[2 * index + 1].text])
        probabilities.append(probability)
        predicted = verdict == "link"
        asked += verdict == "ask"
        asked_right += verdict == "ask" and pair.is_duplicate
        tp += predicted and pair.is_duplicate
        fp += predicted and not pair.is_duplicate
        fn += (not predicted) and pair.is_duplicate
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    report: dict[str, Any] = {
        "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "n": len(pairs),
        "asked": asked, "asked_duplicates": asked_right,
        "recall_linked_or_asked": round((tp + asked_right) / (tp + fn), 4) if tp + fn else 0.0,
    }  # fmt: skip
    return report | against_bare_cosine(pairs, notes, found, probabilities)


def in_a_log(log: list[LogRow], found: dict[str, list[Candidate]], scorer: Any) -> dict[str, Any]:
    """Each writer's notes pasted in date order, each scored against the earlier signals a paste is scored
    against (the nearest in meaning and the customer's; `dedupe.replay`): how many are linked, how many of
    the links join a second report to its own story, how many second reports are linked, and how many
    "same signal?" questions are asked. Each writer's notes are a log of their own (writers invent their
    own accounts)."""
    rows = [{"id": r.id, "duplicate_of": r.duplicate_of, "writer": r.writer, "date": r.date} for r in log]
    numbered = {  # the log's own numbering: two rows of one text are two notes
        n: [dataclasses.replace(c, id=n * 100 + k, note_id=n) for k, c in enumerate(found[row.text])]
        for n, row in enumerate(log)
    }
    logs = writer_logs(rows, numbered, {str(r.writer) for r in log})
    decisions = replay(logs, numbered, scorer)
    roots = first_reports(rows)
    return {"notes": len(log), **log_figures(decisions, roots, scorer.link, scorer.ask)}


def _retrieval(
    pairs: list[Pair],
    notes: list[NoteInput],
    found: dict[str, list[Candidate]],
    pool: list[str],
    probability: Callable[[list[Candidate], list[Candidate]], float],
) -> dict[str, Any]:
    """For each second report, the rank of its first report among every other note of the pool."""
    ranks = []
    for index, pair in enumerate(pairs):
        first, second = notes[2 * index].text, notes[2 * index + 1].text
        if not pair.is_duplicate or first not in found:
            continue
        scores = {t: probability(found[t], found[second]) for t in dict.fromkeys(pool) if t != second}
        mine = scores.get(first, probability(found[first], found[second]))
        ranks.append(1 + sum(s > mine for t, s in scores.items() if t != first))
    if not ranks:
        return {}
    return {f"recall_at_{k}": round(sum(r <= k for r in ranks) / len(ranks), 4) for k in (1, 5, 10)}


def against_bare_cosine(
    pairs: list[Pair], notes: list[NoteInput], found: dict[str, list[Candidate]], probabilities: list[float]
) -> dict[str, Any]:
    """The baseline measured in the same run: the cosine of the two notes' vectors (the excerpt
    embedder's, as the scorer reads them), with its best bar on these very pairs (an upper bound for
    any bar set elsewhere); and both rankings' ROC AUC (no bar at all)."""
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    labels = [pair.is_duplicate for pair in pairs]
    if len(set(labels)) < 2:
        return {}
    cosines = []
    for index in range(len(pairs)):
        a, b = (next((c.note_vector for c in found[notes[2 * index + k].text]), None) for k in (0, 1))
        cosines.append(float(a @ b / ((a @ a) ** 0.5 * (b @ b) ** 0.5)) if a is not None and b is not None else 0.0)
    precision, recall, bars = precision_recall_curve(labels, cosines)
    f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in zip(precision[:-1], recall[:-1], strict=True)]
    best = max(range(len(f1)), key=f1.__getitem__)
    return {
        "auc": round(float(roc_auc_score(labels, probabilities)), 4),
        "bare_cosine": {
            "auc": round(float(roc_auc_score(labels, cosines)), 4), "best_f1": round(f1[best], 4),
            "best_bar": round(float(bars[best]), 4),
        },
    }  # fmt: skip

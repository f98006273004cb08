"""`fieldsignal eval --dupes`: precision, recall and F1 of duplicate detection on labelled pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from fieldsignal.agent.dedupe import Candidate, same_signal
from fieldsignal.errors import InputError
from fieldsignal.models import NEW_GAP, NoteInput, TriageResult
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


def _candidates(result: TriageResult, vectors: Any, note_id: int, taxonomy_slugs: set[str]) -> list[Candidate]:
    out = []
    for i, (draft, vector) in enumerate(zip(result.signals, vectors, strict=True)):
        label = draft.gap.label
        out.append(
            Candidate(
                id=note_id * 100 + i,
                note_id=note_id,
                customer=draft.deal.customer,
                gap=label if label in taxonomy_slugs else None,
                new_gap=label == NEW_GAP,
                date=draft.deal.date,
                vector=vector,
            )
        )
    return out


def score_pairs(ws: Workspace, pairs: list[Pair], texts_by_id: dict[str, str]) -> dict[str, Any]:
    texts: list[str] = []
    for pair in pairs:
        for ident, text in ((pair.id_a, pair.text_a), (pair.id_b, pair.text_b)):
            if text is None:
                if ident not in texts_by_id:
                    raise InputError(f"--dupes names id {ident!r}, which is not in --data")
                text = texts_by_id[ident]
            texts.append(text)
    unique = list(dict.fromkeys(texts))
    results = ws.triage.triage([NoteInput(text=t) for t in unique])
    slugs = set(ws.taxonomy.gap_by_slug)
    found: dict[str, list[Candidate]] = {}
    for number, (text, result) in enumerate(zip(unique, results, strict=True), start=1):
        vectors = ws.embedder.encode([d.excerpt for d in result.signals])
        found[text] = _candidates(result, vectors, number, slugs)
    tp = fp = fn = 0
    for index, pair in enumerate(pairs):
        a, b = found[texts[2 * index]], found[texts[2 * index + 1]]
        predicted = any(same_signal(x, y) for x in a for y in b)
        tp += predicted and pair.is_duplicate
        fp += predicted and not pair.is_duplicate
        fn += (not predicted) and pair.is_duplicate
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "n": len(pairs)}

"""Which sentence of a note a signal quotes: a selector learnt from sentences people marked as evidence.

The word-piece vectors are contextual, so every sentence of a note carries the whole note and the gap head
scores a note's sentences alike (0.80 to 0.87 on every sentence of one e-mail): taking the sentence it scores
highest quoted "Their CISO was pretty firm about it." for a custom-domain gap. The selector is a logistic
regression over each sentence: its vector, the type and gap heads' probabilities for it and how far they sit
below the note's best sentence, where it sits and how long it is (the vector's difference from the note's mean
was tried too and lost 0.009 on the corpus's writer folds). It is learnt from `data/evidence/` (notes whose evidence
sentences separately briefed labellers chose); at prediction it is numpy arithmetic, no scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.triage.heads import Head

NO_GAP = Head.NONE  # the gap head's class for "no gap"
C = 0.05  # regularisation, on standardised features (the corpus's writer folds: bench/evidence_crossval.py --c)


@dataclass(frozen=True)
class Sentences:
    """A note's sentences as the selector reads them: spans, and the features that do not depend on the label."""

    spans: list[tuple[int, int]]
    shared: np.ndarray  # (n, dim + 4)


def sentence_rows(text: str, spans: Sequence[tuple[int, int]], segs: np.ndarray) -> Sentences:
    """Each sentence's vector, its place and its length."""
    n = len(spans)
    place = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    lengths = np.asarray([max(e - s, 1) for s, e in spans], dtype=np.float32)
    extra = np.stack(
        [place, (np.arange(n) == 0).astype(np.float32), np.log(lengths), lengths / max(len(text), 1)], axis=1
    )
    return Sentences(list(spans), np.hstack([segs, extra]).astype(np.float32))


def head_columns(p: np.ndarray) -> np.ndarray:
    """(n sentences, labels) probabilities → (n, labels, 4): p, p below the note's best sentence, is the best,
    log-odds."""
    p = np.clip(p.astype(np.float32), 1e-6, 1 - 1e-6)
    best = p.max(axis=0, keepdims=True)
    return np.stack([p, p - best, (p >= best).astype(np.float32), np.log(p / (1 - p))], axis=2)


class EvidenceSelector:
    """score(sentence, label) = w · [shared features, type head columns, gap head columns for the label] + b."""

    def __init__(self, c: float = C) -> None:
        self.c = c
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.weights: np.ndarray | None = None
        self.bias = 0.0

    @property
    def fitted(self) -> bool:
        return self.weights is not None

    def fit(self, rows: Sequence[np.ndarray], marked: Sequence[np.ndarray]) -> EvidenceSelector:
        """`rows[k]`: one labelled signal's sentences as `features` gives them; `marked[k]`: which are evidence."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        x = np.vstack(rows)
        y = np.concatenate(marked).astype(bool)
        if len(set(y.tolist())) < 2:
            return self
        scaler = StandardScaler().fit(x)
        model = LogisticRegression(C=self.c, max_iter=2000, class_weight="balanced").fit(scaler.transform(x), y)
        self.mean, self.scale = scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)
        self.weights, self.bias = model.coef_[0].astype(np.float32), float(model.intercept_[0])
        return self

    def scores(self, x: np.ndarray) -> np.ndarray:
        assert self.weights is not None and self.mean is not None and self.scale is not None
        return ((x - self.mean) / self.scale) @ self.weights + self.bias


def features(sentences: Sentences, type_columns: np.ndarray, gap_columns: np.ndarray) -> np.ndarray:
    """One signal's rows: the shared features beside its type's and its gap's head columns (n, ·)."""
    return np.hstack([sentences.shared, type_columns, gap_columns]).astype(np.float32)


@dataclass(frozen=True)
class Marked:
    """One labelled signal: the note's id, its gap (a class as the gap head names it) and the evidence spans."""

    note: str
    signal_type: str
    gap: str | None
    spans: list[tuple[int, int]]


def read_marks(paths: Iterable[Path], gap_class: Any) -> list[Marked]:
    """The labelled evidence of `data/evidence/*.jsonl` (see its README)."""
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for signal in row["evidence"]:
                spans = [(int(s), int(e)) for s, e in signal["spans"]]
                out.append(Marked(row["id"], signal["type"], gap_class(signal["gap"]), spans))
    return out


def marked_sentences(spans: Sequence[tuple[int, int]], evidence: Sequence[tuple[int, int]]) -> np.ndarray:
    """Which sentences are evidence: those at least half covered by a marked span."""
    out = np.zeros(len(spans), dtype=bool)
    for i, (s, e) in enumerate(spans):
        covered = sum(max(0, min(e, b) - max(s, a)) for a, b in evidence)
        out[i] = covered * 2 >= max(e - s, 1)
    return out


@dataclass(frozen=True)
class Row:
    """One labelled signal as the selector learns from it: its sentences' features (a row a sentence), which
    sentences are marked, and the gap head's column for its gap (`column` of the heads' probabilities)."""

    mark: Marked
    x: np.ndarray
    marked: np.ndarray
    column: int


def labelled_rows(
    sentences: Sentences,
    type_p: np.ndarray,
    gap_p: np.ndarray,
    marks: Iterable[Marked],
    type_classes: Sequence[str],
    gap_classes: Sequence[str],
) -> list[Row]:
    """A note's marks as the selector's rows, from its sentences and the type and gap heads' probabilities for
    them (`TriageModel.evidence_sentences`); a mark whose type or gap the heads do not know is left out. The shipped
    selector learns from these rows and `bench/evidence_crossval.py` scores it on them."""
    types, gaps = head_columns(type_p), head_columns(gap_p)
    out = []
    for mark in marks:
        gap = NO_GAP if mark.gap is None else mark.gap
        if mark.signal_type not in type_classes or gap not in gap_classes:
            continue
        column = list(gap_classes).index(gap)
        x = features(sentences, types[:, list(type_classes).index(mark.signal_type), :], gaps[:, column, :])
        out.append(Row(mark, x, marked_sentences(sentences.spans, mark.spans), column))
    return out

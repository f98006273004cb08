"""Note-level classifiers: scikit-learn logistic regressions over pooled encoder vectors, calibrated.

A note is read as its segments (lines and sentences). Its features are the mean of all its word-piece
vectors and the element-wise maximum over its segments' vectors, so one sentence that says "they went
with Modal" weighs in whatever the rest of the note is about: how much is learned, not set by hand.
Probabilities are calibrated with scikit-learn (`CalibratedClassifierCV`, sigmoid), on folds that
hold out whole writers where the training data has several, so a confidence means the same on a
stranger's notes as on the training notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from fieldsignal.triage.encoder import TokenVectors

# A sentence ends at . ! or ? (with any closing quote or bracket) before a space or the end of its line:
# not inside "apps.acme.com", "$1.2M", "Next.js" or "jen.w".
_END = re.compile(r"[.!?]+[\"')\]\u201d\u2019]*(?=\s|$)")


def _lines(text: str) -> list[tuple[int, int]]:
    """Lines as character ranges, a line that goes on in lower case joined to the one before it (a
    hard-wrapped e-mail sentence: "won't let the pilot go to\nprod until ..."); a blank line ends one."""
    out: list[tuple[int, int]] = []
    start, joinable = 0, False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = start + len(body)
        if joinable and body.lstrip()[:1].islower():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
        joinable = bool(body.strip())
        start += len(line)
    return out


def segment_spans(text: str, min_chars: int = 12, limit: int = 64) -> list[tuple[int, int]]:
    """Sentences as character ranges (a line break ends one too, unless the next line goes on in lower
    case); short fragments join the one before."""
    pieces: list[tuple[int, int]] = []
    for first, last in _lines(text):
        cut = first
        for match in _END.finditer(text, first, last):
            pieces.append((cut, match.end()))
            cut = match.end()
        if cut < last:
            pieces.append((cut, last))
    spans: list[tuple[int, int]] = []
    for start, end in pieces:
        if not text[start:end].strip():
            continue
        if spans and (end - start < min_chars or spans[-1][1] - spans[-1][0] < min_chars):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    while len(spans) > limit:
        spans = [(spans[i][0], spans[min(i + 1, len(spans) - 1)][1]) for i in range(0, len(spans), 2)]
    return spans or [(0, len(text))]


def segment_vectors(text: str, tokens: TokenVectors) -> tuple[list[tuple[int, int]], np.ndarray]:
    spans = segment_spans(text)
    vectors = np.stack([tokens.pooled(s, e) for s, e in spans])
    return spans, vectors


def note_features(text: str, tokens: TokenVectors) -> np.ndarray:
    _, segs = segment_vectors(text, tokens)
    return np.concatenate([tokens.pooled(), segs.max(axis=0)]).astype(np.float32)


def _splits(labels: np.ndarray, groups: np.ndarray | None) -> Any:
    """Calibration folds: by writer when there are several, else stratified; None when too few rows."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    _, counts = np.unique(labels, return_counts=True)
    if len(counts) < 2 or counts.min() < 2:
        return None
    if groups is not None and len(set(groups.tolist())) >= 3:
        return list(GroupKFold(n_splits=3).split(labels, labels, groups))
    return StratifiedKFold(n_splits=min(3, int(counts.min())), shuffle=True, random_state=0)


def _logistic(c: float) -> Any:
    """A class-balanced logistic regression (features come standardised: see TriageModel)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=1000, class_weight="balanced")


class Head:
    """One calibrated multi-class classifier; `None` labels are a class of their own ("(none)")."""

    NONE = "(none)"

    def __init__(self, c: float = 1.0) -> None:
        self.c = c
        self.model: Any = None
        self.classes: list[str] = []

    def fit(self, x: Any, labels: Sequence[str | None], weights: np.ndarray, groups: np.ndarray | None) -> Head:
        from sklearn.calibration import CalibratedClassifierCV

        y = np.asarray([label if label is not None else self.NONE for label in labels], dtype=object)
        base = _logistic(self.c)
        splits = _splits(y, groups)
        if len(set(y.tolist())) < 2:
            self.classes = [str(y[0])]
            return self
        if splits is None:
            self.model = base.fit(x, y, sample_weight=weights)
        else:
            self.model = CalibratedClassifierCV(base, method="sigmoid", cv=splits).fit(x, y, sample_weight=weights)
        self.classes = [str(c) for c in self.model.classes_]
        return self

    def proba(self, x: Any) -> np.ndarray:
        if self.model is None:
            return np.ones((x.shape[0], 1), dtype=np.float32)
        return np.asarray(self.model.predict_proba(x), dtype=np.float32)

    def label(self, index: int) -> str | None:
        name = self.classes[index]
        return None if name == self.NONE else name


class MultiLabelHead:
    """Which labels a note carries (several gaps in one note): one calibrated logistic regression per label.

    The per-label models are not class-balanced, and their probabilities are calibrated (sigmoid, on
    stratified folds), so "p ≥ 0.5" means what it says rather than the inflated score a balanced fit
    gives a rare label.
    """

    def __init__(self, c: float = 1.0) -> None:
        self.c = c
        self.models: dict[str, Any] = {}

    def fit(
        self, x: Any, label_sets: Sequence[Sequence[str]], weights: np.ndarray, only: set[str] | None = None
    ) -> MultiLabelHead:
        """Fit a model per label (`only` these labels, keeping the others' models, when given)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression

        for label in sorted({label for labels in label_sets for label in labels}):
            if only is not None and label not in only:
                continue
            y = np.asarray([label in labels for labels in label_sets])
            if 6 <= y.sum() <= len(y) - 6:
                base = LogisticRegression(C=self.c, max_iter=1000)
                self.models[label] = CalibratedClassifierCV(base, method="sigmoid", cv=3).fit(
                    x, y, sample_weight=weights
                )
        return self

    def proba(self, x: Any) -> dict[str, np.ndarray]:
        return {label: model.predict_proba(x)[:, 1] for label, model in self.models.items()}

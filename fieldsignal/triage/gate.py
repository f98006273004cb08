"""The review gate: whether a triaged note is accepted as it is, learnt from the triage's own mistakes.

Each head's confidence says how sure one field is. A note is worth accepting unseen only when it is right
in every field a person would otherwise fix (type, gap, customer, industry, competitor, ACV), and those
fail for different reasons, so the gate reads them together: gradient-boosted trees over the per-field
confidences of a note's first signal and its type (a lost deal has a competitor and an amount to get
wrong, a product gap seldom has), labelled by whether the note was right in every field, fitted on
predictions by heads that never saw the note's writer (`gate_training.py`). There are two: one for a
note read alone (no account list, so the customer as written is not judged) and one for a note whose
customer was then linked to an account list (it reads the link's probabilities too).

The bar is set on out-of-fold predictions too: the lowest at which what is auto-accepted is right in every
field TARGET of the time, as long as no more than BUDGET of the notes go to review in all (else the bar
that sends BUDGET). The confidence threshold on type and gap stays in front of it (`review_reasons`).
Reading a note needs numpy only: the fitted trees are kept as arrays (`frozen.Boosting`).

Out of fold on the corpus (36 writers, shipped encoder), the trees with the type beside the confidences
rank notes better than the logistic regression on the confidences alone that came first: AUC 0.830 ->
0.899 linked to accounts (0.738 -> 0.746 read alone), the accepted right in every field at 25 % to review
0.950 -> 0.966 (`fieldsignal train` reports the bars' figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fieldsignal.models import NEW_GAP, TriageResult
from fieldsignal.triage.frozen import freeze_estimator

TARGET = 0.95  # share of auto-accepted notes right in every field (issue 12)
BUDGET = 0.25  # share of notes sent to review, at most, for the gate to reach it
REASON = "may be wrong in a field"  # the start of the gate's review reason


@dataclass(frozen=True)
class Link:
    """How a note's customer was linked to an account list: the account (None: none surely), the
    probability of the best account and of the next best."""

    account: str | None
    top: float
    second: float


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def features(result: TriageResult, link: Link | None = None, types: Sequence[str] = ()) -> np.ndarray:
    """What the gate reads of a note: its first signal's confidences, field by field (and the link's), and
    which of `types` (the taxonomy's signal types) it has."""
    first = result.signals[0]
    sure = result.field_confidence
    kind, gap = first.signal_type, first.gap
    kind_2 = kind.alternatives[0][1] if kind.alternatives else 0.0
    gap_2 = gap.alternatives[0][1] if gap.alternatives else 0.0
    row = [
        _logit(kind.confidence),
        _logit(kind.confidence) - _logit(kind_2),
        _logit(gap.confidence),
        _logit(gap.confidence) - _logit(gap_2),
        float(gap.label is None),
        float(gap.label == NEW_GAP),
        float(len(result.signals) - 1),
        _logit(sure.get("competitor", 0.0)),
        float(first.deal.competitor is None),
        _logit(sure.get("acv", 0.0)),
        float(first.deal.acv_usd is None),
        _logit(sure.get("customer", 0.0)),
        float(first.deal.customer is None),
        float(min(len(result.customer_candidates), 3)),
        _logit(sure.get("industry", 0.0)),
    ]
    if link is not None:
        row += [_logit(link.top), _logit(link.second), float(link.account is not None)]
    row += [float(kind.label == name) for name in types]
    return np.asarray(row, dtype=np.float64)


class Classifier(Protocol):
    def predict_proba(self, x: Any) -> np.ndarray: ...


@dataclass
class Gate:
    """One fitted classifier (numpy trees), the signal types its features name, and its bar."""

    model: Classifier
    types: tuple[str, ...]
    bar: float
    # out of fold, at the bar: share of notes sent to review, share of the accepted right in every field
    review_share: float
    accepted_right: float

    def p_right(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(x)[:, 1])


@dataclass
class ReviewGate:
    read: Gate | None = None
    linked: Gate | None = None

    def check(self, results: Sequence[TriageResult], links: Sequence[Link | None]) -> list[tuple[float, float] | None]:
        """For each note, the probability that it is right in every field and the bar it must reach (None:
        no gate for it). The notes read alone and the linked ones are each scored as one matrix."""
        out: list[tuple[float, float] | None] = [None] * len(results)
        alone = [i for i, link in enumerate(links) if link is None]
        linked = [i for i, link in enumerate(links) if link is not None]
        for gate, rows in ((self.read, alone), (self.linked, linked)):
            if gate is None or not rows:
                continue
            x = np.stack([features(results[i], links[i], gate.types) for i in rows])
            for i, p in zip(rows, gate.p_right(x).tolist(), strict=True):
                out[i] = (float(p), gate.bar)
        return out


def fit_gate(
    x: np.ndarray, right: np.ndarray, queued: np.ndarray, groups: np.ndarray, types: Sequence[str] = (), seed: int = 13
) -> Gate | None:
    """A gate from notes' features (read with `types`), whether each was right in every field, and whether
    the confidence threshold sends it to review anyway; its bar from its own out-of-fold probabilities
    (writer folds)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, cross_val_predict

    if len(set(right.tolist())) < 2 or len(set(groups.tolist())) < 3:
        return None
    model = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, random_state=seed
    )
    folds = GroupKFold(n_splits=min(5, len(set(groups.tolist()))))
    p = cross_val_predict(model, x, right, groups=groups, cv=folds, method="predict_proba")[:, 1]
    bar, share, accepted_right = choose_bar(p, right, queued)
    model.fit(x, right)
    return Gate(freeze_estimator(model), tuple(types), bar, share, accepted_right)


def choose_bar(
    p: np.ndarray, right: np.ndarray, queued: np.ndarray, target: float = TARGET, budget: float = BUDGET
) -> tuple[float, float, float]:
    """The lowest bar whose accepted notes (not `queued`, p at or above it) are right `target` of the time
    with at most `budget` of all notes sent to review; else the highest within the budget. Returns the
    bar, the share sent to review and the share of the accepted right in every field."""
    n = len(p)
    free = ~queued
    candidates = np.unique(np.concatenate([[0.0], p[free]]))
    best: tuple[float, float, float] | None = None
    for bar in candidates:  # ascending: more go to review as the bar rises
        accepted = free & (p >= bar)
        share = 1.0 - accepted.sum() / n
        if share > budget + 1e-9 and best is not None:
            break
        precision = float(right[accepted].mean()) if accepted.any() else 1.0
        best = (float(bar), float(share), precision)
        if precision >= target:
            break
    assert best is not None
    return best


def reason(p: float) -> str:
    return f"{REASON} (all right: {p:.2f})"


def summary(gate: ReviewGate) -> dict[str, Any]:
    """The gates' bars and out-of-fold figures, for `fieldsignal train` to report."""
    return {
        name: {"bar": round(g.bar, 4), "review_share": round(g.review_share, 4), "right": round(g.accepted_right, 4)}
        for name, g in (("read", gate.read), ("linked", gate.linked))
        if g is not None
    }

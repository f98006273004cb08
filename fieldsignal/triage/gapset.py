"""Which gaps a note reports: the main-gap head and the further-gaps head, combined by a learned model.

Two heads read a note's gaps: the main-gap head (one class per gap, plus "no gap" and "a new gap")
and the further-gaps head (a yes/no per gap). They mostly agree. Where they do not — the main head
says "no gap" while the other is sure of one, or a second gap the main head ranks low — a logistic
regression decides. It is trained on both heads' out-of-fold probabilities (folds hold out whole
writers) to tell, for each gap, whether it is among the note's labelled gaps; its probabilities are
the gaps' confidences, and "no gap" has the probability that none of them is there. Nothing in the
combination is set by hand: without notes labelled with their gap sets to learn from, the main head
alone names one gap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fieldsignal.triage.heads import Head

FOLDS = 3  # writer folds for the out-of-fold probabilities the combiner learns from
MAX_GAPS = 3  # signals a note yields at most
NONE = Head.NONE  # the heads' label for "no gap"

# fit the main-gap head and the further-gaps head on some rows; their probabilities on others
Heads = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, list[str], dict[str, np.ndarray]]]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _best_other(p: np.ndarray) -> np.ndarray:
    """For each column, the largest value in the row's other columns."""
    if p.shape[1] < 2:
        return np.zeros_like(p)
    top2 = -np.sort(-p, axis=1)[:, :2]
    return np.where(p >= top2[:, :1], top2[:, 1:2], top2[:, :1])


class GapSet:
    def __init__(self) -> None:
        self.model: Any = None
        self.candidates: list[str] = []  # every gap class of the main head but "no gap"

    def features(self, main: np.ndarray, classes: Sequence[str], more: dict[str, np.ndarray]) -> np.ndarray:
        """(notes, candidates, features): each candidate gap as both heads see it, beside the note's other gaps
        (log-odds: the main head's, the further-gaps head's, "no gap", the best other gap's of each head)."""
        n = main.shape[0]
        where = {c: k for k, c in enumerate(classes)}
        m = np.stack([main[:, where[c]] if c in where else np.zeros(n) for c in self.candidates], axis=1)
        none = main[:, where[NONE]] if NONE in where else np.zeros(n)
        known = np.asarray([c in more for c in self.candidates])
        q = np.stack([more[c] if c in more else np.zeros(n) for c in self.candidates], axis=1)
        other_m, other_q = _best_other(m), _best_other(q)
        first = m >= m.max(axis=1, keepdims=True)  # the main head's first choice among the gaps
        columns = [
            _logit(m), np.where(known, _logit(q), 0.0), np.broadcast_to(~known, m.shape), _logit(none)[:, None] + 0 * m,
            _logit(other_m), _logit(other_q), first & (m > none[:, None]),
        ]  # fmt: skip
        return np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=2)

    def fit(
        self, heads: Heads, rows: np.ndarray, groups: np.ndarray, gold: Sequence[set[str]], classes: list[str]
    ) -> GapSet:
        """Learn the combination from the heads' probabilities on rows they were not fitted on.

        `rows` are the notes labelled with their gap sets (`gold`), `groups` their writers; `heads(train,
        held)` fits both heads on the `train` rows and gives their probabilities on the `held` ones."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold

        self.candidates = [c for c in classes if c != NONE]
        if len(set(groups.tolist())) < FOLDS or not self.candidates:
            return self
        x, y = [], []
        for train, held in GroupKFold(n_splits=FOLDS).split(rows, groups=groups):
            main, main_classes, more = heads(rows[train], rows[held])
            features = self.features(main, main_classes, more)
            x.append(features.reshape(-1, features.shape[2]))
            y += [c in gold[i] for i in held for c in self.candidates]
        target = np.asarray(y)
        if target.all() or not target.any():
            return self
        self.model = LogisticRegression(C=1.0, max_iter=2000).fit(np.vstack(x), target)
        return self

    def decide(
        self, main: np.ndarray, classes: Sequence[str], more: dict[str, np.ndarray]
    ) -> list[tuple[list[tuple[str, float]], float]] | None:
        """Per note: its gaps with their probabilities, most likely first (empty: it reports none), and
        the probability that it reports none (that every candidate is absent). None if nothing was learnt."""
        if self.model is None:
            return None
        x = self.features(main, classes, more)
        q = self.model.predict_proba(x.reshape(-1, x.shape[2]))[:, 1].reshape(x.shape[0], x.shape[1])
        out = []
        for row in q:
            order = np.argsort(-row)[:MAX_GAPS]
            chosen = [(self.candidates[k], float(row[k])) for k in order if row[k] >= 0.5]
            out.append((chosen, float(np.prod(1.0 - row))))
        return out

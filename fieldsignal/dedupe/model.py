"""The learned duplicate scorer: how likely a new signal is a second report of an earlier one.

Each (earlier, new) pair of signals is described by evidence, none of it a gate: how close their
notes and their excerpts are in meaning (a note stored before its vector was kept counts its
excerpt's), how much of the new signal's gap distribution sits on the earlier one's
gap, whether the customers agree (as read by the triage, as spelled, or the one named in the other
note's text), how many of the same telling words the notes share (`words.py`), rival, type and days
apart. A scikit-learn logistic regression, calibrated (sigmoid, over writer folds), weighs the evidence;
it is fitted on labelled pairs of corpus notes (`training.py`) and kept as numpy arithmetic
(`triage/frozen.py`), so scoring a paste never imports scikit-learn. A note pair's probability is its most
alike pair of signals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from fieldsignal.dedupe.candidates import Candidate, customer_key
from fieldsignal.dedupe.words import WordWeights

FEATURES = (
    "note_cosine", "excerpt_cosine", "gap_same", "gap_probability", "both_without_gap", "customer_same",
    "customer_conflict", "customer_spelling", "customer_in_other_note", "customer_missing",
    "competitor_same", "competitor_conflict", "type_same", "days_apart", "no_date", "gap_and_customer",
    "customers_differ", "note_words",
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")
YEAR_DAYS = math.log1p(365.0)


@lru_cache(maxsize=16384)
def _trigrams(key: str) -> frozenset[str]:
    padded = f"  {key} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


def _spelling(a: str | None, b: str | None) -> float:
    """Character-trigram Jaccard similarity of two customer keys (`Helix` vs `Helix Bank`)."""
    if not a or not b:
        return 0.0
    x, y = _trigrams(a), _trigrams(b)
    return len(x & y) / len(x | y)


def _named_in(key: str | None, text: str | None) -> float:
    """The share of a customer's words that the other note's text contains."""
    if not key or not text:
        return 0.0
    words = [w for w in key.split() if len(w) > 1]
    if not words:
        return 0.0
    found = _words(text)
    return sum(w in found for w in words) / len(words)


def _gap_label(c: Candidate) -> str | None:
    return c.gap if c.gap else ("\0new" if c.new_gap else None)


def pair_features(old: Candidate, new: Candidate, words: WordWeights | None = None) -> np.ndarray:
    """The evidence that `new` repeats `old` (see FEATURES; without `words`, no shared words are counted)."""
    cosine = float(old.vector @ new.vector) if old.vector is not None and new.vector is not None else 0.0
    whole = old.note_vector is not None and new.note_vector is not None
    note_cosine = float(old.note_vector @ new.note_vector) if whole else cosine  # type: ignore[operator]
    gap_old, gap_new = _gap_label(old), _gap_label(new)
    gap_same = float(gap_old is not None and gap_old == gap_new)
    if gap_old is None:
        gap_p = new.gap_probs.get("\0none", float(gap_new is None)) if new.gap_probs else float(gap_new is None)
    else:
        gap_p = new.gap_probs.get(gap_old, gap_same) if new.gap_probs else gap_same
    key_old, key_new = customer_key(old.customer), customer_key(new.customer)
    both = key_old is not None and key_new is not None
    same = float(both and key_old == key_new)
    named = max(_named_in(key_old, new.text), _named_in(key_new, old.text))
    spelling = _spelling(key_old, key_new)
    comp_old, comp_new = (c.competitor.lower() if c.competitor else None for c in (old, new))
    if old.date and new.date:
        days, no_date = math.log1p(abs((new.date - old.date).days)) / YEAR_DAYS, 0.0
    else:
        days, no_date = 0.0, 1.0
    return np.asarray(
        [
            note_cosine,
            cosine,
            gap_same,
            gap_p,
            float(gap_old is None and gap_new is None),
            same,
            float(both and key_old != key_new),
            spelling,
            named,
            float(not both),
            float(comp_old is not None and comp_old == comp_new),
            float(comp_old is not None and comp_new is not None and comp_old != comp_new),
            float(old.signal_type is not None and old.signal_type == new.signal_type),
            days,
            no_date,
            gap_p * max(same, named, spelling),
            float(both) * (1.0 - max(same, named, spelling)),  # two customers named, and nothing ties them
            words.cosine(old.text, new.text) if words is not None else 0.0,
        ],
        dtype=np.float64,
    )


@dataclass
class DuplicateScorer:
    """A fitted scaler and calibrated classifier over `pair_features`, with its two bars (set on replayed
    logs, `training.log_bar`): at or above `link` a signal is linked as a second report; from `ask` up to
    `link`, a reviewer is asked "same signal?"."""

    scaler: Any
    classifier: Any
    link: float = 0.5
    ask: float = 0.25
    figures: dict[str, float] = field(default_factory=dict)  # how it scored on its own writer folds
    words: WordWeights | None = None  # the corpus's word weights (`note_words`)

    def probabilities(self, old: Sequence[Candidate], new: Candidate) -> np.ndarray:
        if not old:
            return np.zeros(0)
        rows = np.stack([pair_features(o, new, self.words) for o in old])
        return np.asarray(self.classifier.predict_proba(self.scaler.transform(rows))[:, 1])

    def may_link(self, old: Candidate, new: Candidate) -> bool:
        """Whether the scorer may link the pair on its own: not when each names a customer and nothing
        ties the two (other keys, and neither named in the other's note). Such a pair, however alike
        the notes read, is asked about instead: the same words about two customers are two signals."""
        key_old, key_new = customer_key(old.customer), customer_key(new.customer)
        if key_old is None or key_new is None or key_old == key_new:
            return True
        return max(_named_in(key_old, new.text), _named_in(key_new, old.text)) > 0

    def decide(self, old: Sequence[Candidate], new: Sequence[Candidate]) -> tuple[str | None, float]:
        """A note pair: ("link" | "ask" | None, the probability of its most alike signal pair)."""
        best, verdict = 0.0, None
        for n in new:
            if not old:
                break
            p = self.probabilities(old, n)
            i = int(np.argmax(p))
            if p[i] > best:
                best = float(p[i])
                verdict = self._verdict(old[i], n, best)
        return verdict, best

    def _verdict(self, old: Candidate, new: Candidate, p: float) -> str | None:
        if p >= self.link and self.may_link(old, new):
            return "link"
        return "ask" if p >= self.ask else None

    def note_probability(self, old: Sequence[Candidate], new: Sequence[Candidate]) -> float:
        """Two notes repeat each other as much as their most alike pair of signals does."""
        return max((float(self.probabilities(old, n).max(initial=0.0)) for n in new if old), default=0.0)

    def best(
        self, old: Sequence[Candidate], new: Candidate, refused: Container[int] = frozenset()
    ) -> tuple[int, float, str] | None:
        """The earlier signal `new` most likely repeats (not one a reviewer said it does not), its
        probability and "link" or "ask"; None when no candidate reaches the review bar."""
        allowed = [c for c in old if c.id not in refused and c.note_id != new.note_id]
        if not allowed:
            return None
        p = self.probabilities(allowed, new)
        i = int(np.argmax(p))
        verdict = self._verdict(allowed[i], new, float(p[i]))
        return None if verdict is None else (allowed[i].id, float(p[i]), verdict)

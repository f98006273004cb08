"""ACV: a deterministic money parser finds every dollar amount; a learned scorer picks the deal's.

Parsing money is deterministic (`usd_amounts.amounts`: "$1.2M over 3 years" = 400,000 a year,
"$20k/month" = 240,000). Which amount is the Apps deal's value, and which is a rival's quote, a
credit, a cloud bill or a headcount, is read from the words around it by a logistic regression
trained on the corpus (an amount is a positive example when it equals the row's `acv_usd`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fieldsignal.triage.usd_amounts import amounts

WINDOW = 6
_WORD = re.compile(r"[a-z]+|\$|/|%")


@dataclass(frozen=True)
class Candidate:
    usd: int
    start: int
    context: str


def candidates(text: str) -> list[Candidate]:
    found = []
    for amount in amounts(text):
        end = amount.end
        before = _WORD.findall(text[max(0, amount.start - 80) : amount.start].lower())[-WINDOW:]
        after = _WORD.findall(text[end : end + 80].lower())[:WINDOW]
        size = f"mag{int(math.log10(max(amount.usd, 1)))}"
        place = f"pos{min(4, int(5 * amount.start / max(1, len(text))))}"
        words = [f"l_{w}" for w in before] + [f"r_{w}" for w in after] + [f"r1_{w}" for w in after[:2]]
        words += [f"l1_{w}" for w in before[-2:]] + [size, place, f"per_{amount.period or 'none'}"]
        words.append("money" if amount.marked else "bare")
        found.append(Candidate(amount.usd, amount.start, " ".join(words)))
    return found


class AcvScorer:
    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.vectorizer = HashingVectorizer(n_features=2**14, token_pattern=r"\S+", alternate_sign=False, norm="l2")
        self.model: Any = None

    def fit(self, texts: Sequence[str], labels: Sequence[int | None]) -> AcvScorer:
        from sklearn.linear_model import LogisticRegression

        contexts, ys = [], []
        for text, label in zip(texts, labels, strict=True):
            for cand in candidates(text):
                contexts.append(cand.context + f" n{min(len(candidates(text)), 4)}")
                ys.append(label is not None and abs(cand.usd - label) <= max(1, 0.01 * label))
        if len(set(ys)) == 2:
            self.model = LogisticRegression(C=2.0, max_iter=2000).fit(self.vectorizer.transform(contexts), ys)
        return self

    def predict(self, text: str, threshold: float = 0.5) -> tuple[int | None, float]:
        """The deal's annual value and the scorer's probability for it (None when no amount is the ACV)."""
        found = candidates(text)
        if not found or self.model is None:
            return None, 0.0
        contexts = [c.context + f" n{min(len(found), 4)}" for c in found]
        probs = self.model.predict_proba(self.vectorizer.transform(contexts))[:, 1]
        best = int(np.argmax(probs))
        return (found[best].usd if probs[best] >= threshold else None), float(probs[best])

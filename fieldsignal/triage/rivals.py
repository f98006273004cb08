"""Which company named in a note is a competitor in play: candidates from data, the decision learned.

Candidates are every place the note names a competitor from the taxonomy's list (its name or an
alias; an alias written with capitals matches only so written) plus what the span tagger marks as a
competitor. Whether a candidate is in play (evaluated, chosen, pitched) or just named (the cloud the
customer runs on, a tool that does not host apps, a reference) is read from the words around it by a
logistic regression over the encoder's vectors: the mention, the sentence around it, and the note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.spans import Span

CONTEXT = 60  # characters either side of a mention that make its sentence


@dataclass(frozen=True)
class Mention:
    name: str  # canonical (taxonomy) name, or the text as written for a company the list does not know
    start: int
    end: int
    listed: bool


def alias_patterns(taxonomy: Taxonomy) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for competitor in taxonomy.competitors:
        for form in dict.fromkeys([competitor.name, *competitor.aliases]):  # as listed: a set's order varies by process
            flags = 0 if any(c.isupper() for c in form) and form != competitor.name else re.I
            out.append((competitor.name, re.compile(rf"(?<![\w-]){re.escape(form)}(?![\w-])", flags)))
    return out


def mentions(text: str, patterns: Sequence[tuple[str, re.Pattern[str]]], spans: Sequence[Span]) -> list[Mention]:
    found: dict[tuple[int, int], Mention] = {}
    for name, pattern in patterns:
        for match in pattern.finditer(text):
            found.setdefault((match.start(), match.end()), Mention(name, match.start(), match.end(), True))
    for span in spans:
        if span.kind == "competitor" and span.text and not any(s <= span.start < e for s, e in found):
            found[(span.start, span.end)] = Mention(span.text, span.start, span.end, False)
    return sorted(found.values(), key=lambda m: (m.start, m.end))  # one order whatever the patterns' order


def features(mention: Mention, tokens: TokenVectors, span_score: float) -> np.ndarray:
    near = tokens.pooled(max(0, mention.start - CONTEXT), mention.end + CONTEXT)
    return np.concatenate(
        [tokens.pooled(mention.start, mention.end), near, tokens.pooled(), [float(mention.listed), span_score]]
    )


class RivalClassifier:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.patterns = alias_patterns(taxonomy)
        self.model: Any = None
        self.scaler: Any = None

    def fit(
        self, texts: Sequence[str], tokens: Sequence[TokenVectors], spans: Sequence[Sequence[Span]], gold: Sequence[Any]
    ) -> RivalClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        xs, ys = [], []
        for text, tok, found, answer in zip(texts, tokens, spans, gold, strict=True):
            for mention in mentions(text, self.patterns, found):
                xs.append(features(mention, tok, _score(mention, found)))
                ys.append(bool(answer) and mention.name.casefold() == str(answer).casefold())
        if len(set(ys)) == 2:
            x = np.stack(xs)
            self.scaler = StandardScaler().fit(x)
            self.model = LogisticRegression(C=0.05, max_iter=1000, class_weight="balanced")
            self.model.fit(self.scaler.transform(x), ys)
        return self

    def predict(self, text: str, tokens: TokenVectors, spans: Sequence[Span]) -> tuple[str | None, float]:
        """The competitor in play and its probability, or None when no named company is."""
        found = mentions(text, self.patterns, spans)
        if not found or self.model is None:
            return None, 0.0
        x = self.scaler.transform(np.stack([features(m, tokens, _score(m, spans)) for m in found]))
        probs = self.model.predict_proba(x)[:, 1]
        by_name: dict[str, float] = {}
        for mention, p in zip(found, probs, strict=True):
            by_name[mention.name] = max(by_name.get(mention.name, 0.0), float(p))
        name = max(by_name, key=lambda n: by_name[n])
        return (name if by_name[name] >= 0.5 else None), by_name[name]


def _score(mention: Mention, spans: Sequence[Span]) -> float:
    return max(
        (s.score for s in spans if s.kind == "competitor" and s.start < mention.end and mention.start < s.end),
        default=0.0,
    )

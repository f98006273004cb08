"""Offline classification: gap (known, new candidate or none) and signal type.

Evidence, all from the taxonomy and labelled examples, none hard-coded here:
- similarity of each segment and of the whole note to every label's prototypes
  (its description, name and example phrasings, plus reviewed corrections);
- the label's keywords found literally in the text;
- for the signal type, its cue expressions, and whether a gap or competitor was found.
Scores become probabilities by a softmax whose temperature sets how peaked they are;
the top probability is the confidence the review threshold is compared with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from fieldsignal.agent.head import LinearHead
from fieldsignal.models import NEW_GAP, Scored

TOP_K = 3
# Prototype labels for reviewed corrections that name no known gap.
NO_GAP_KEY = "__no_gap__"
NEW_GAP_KEY = "__new_gap__"
SPECIAL = (NO_GAP_KEY, NEW_GAP_KEY)


@dataclass
class Prototypes:
    """Labelled vectors; `score(q)` gives, per label, 0.5·max + 0.5·mean(top-3) cosine."""

    labels: list[str]
    vectors: np.ndarray  # (n, dim), normalised
    owner: np.ndarray  # (n,) index into labels
    texts: list[str] = field(default_factory=list)  # row i's text (few-shot examples for the LLM)
    _head: LinearHead | None = None
    _head_fitted: bool = False

    @classmethod
    def build(cls, texts_by_label: dict[str, list[str]], encode: object) -> Prototypes:
        labels = [label for label, texts in texts_by_label.items() if texts]
        texts = [t for label in labels for t in texts_by_label[label]]
        owner = np.asarray([i for i, label in enumerate(labels) for _ in texts_by_label[label]], dtype=np.int64)
        vectors = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)  # type: ignore[operator]
        return cls(labels, np.asarray(vectors, dtype=np.float32), owner, texts)

    def nearest(self, query: np.ndarray, k: int = 4) -> list[tuple[str, str, float]]:
        """The k labelled texts closest to a query vector: (label, text, cosine)."""
        if not len(self.vectors) or not self.texts:
            return []
        sims = self.vectors @ query
        order = np.argsort(-sims)[:k]
        return [(self.labels[int(self.owner[i])], self.texts[i], float(sims[i])) for i in order]

    def head(self, queries: np.ndarray) -> np.ndarray:
        """(q, n_labels) probabilities from a linear head fitted on the labelled vectors (0 if none)."""
        if not self._head_fitted:
            self._head = LinearHead.fit(self.vectors, self.owner, len(self.labels))
            self._head_fitted = True
        if self._head is None:
            return np.zeros((len(queries), len(self.labels)), dtype=np.float32)
        return self._head.proba(queries)

    def score(self, queries: np.ndarray) -> np.ndarray:
        """(q, n_labels) scores for a (q, dim) batch of query vectors."""
        sims = queries @ self.vectors.T
        out = np.full((len(queries), len(self.labels)), -1.0, dtype=np.float32)
        for index in range(len(self.labels)):
            cols = sims[:, self.owner == index]
            if cols.shape[1] == 0:
                continue
            k = min(TOP_K, cols.shape[1])
            top = -np.sort(-cols, axis=1)[:, :k]
            out[:, index] = 0.5 * top[:, 0] + 0.5 * top.mean(axis=1)
        return out


# note-taking shorthand, spelled out before keywords are looked for ("w/o accounts" = "without accounts")
_EXPAND = {"w/o": "without", "w/": "with", "b/c": "because", "acct": "account", "accts": "accounts"}
_SHORTHAND = re.compile(r"(?<!\w)(?:w/o|w/|b/c|accts?)(?!\w)")


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword is a regular expression written between slashes, or a literal phrase that starts
    a word ("autoscal" finds "autoscaling"; "rds" does not find "dashboards", nor "idle" "Ridley")."""
    if len(keyword) > 2 and keyword.startswith("/") and keyword.endswith("/"):
        return re.compile(keyword[1:-1])
    return re.compile(r"(?<!\w)" + re.escape(keyword.replace("-", " ")))


def _has(keyword: str, lowered: str) -> bool:
    return _keyword_pattern(keyword).search(lowered) is not None


def keyword_text(text: str) -> str:
    """The form keywords are looked for in: lower case, shorthand spelled out, hyphens as spaces."""
    return _SHORTHAND.sub(lambda m: _EXPAND[m.group(0)], text.lower()).replace("-", " ")


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = (scores - scores.max()) / temperature
    e = np.exp(z)
    return e / e.sum()


def scored(labels: Sequence[str | None], probs: np.ndarray, top: int = 3) -> Scored:
    order = np.argsort(-probs)
    alternatives = [(str(labels[i]), round(float(probs[i]), 3)) for i in order[1 : top + 1] if labels[i] is not None]
    return Scored(label=labels[order[0]], confidence=round(float(probs[order[0]]), 3), alternatives=alternatives)


@dataclass
class GapParams:
    segment_weight: float = 0.6  # the rest goes to the whole-note similarity
    keyword_bonus: float = 0.08
    keyword_relief: float = 0.04  # the known threshold is this much lower for a gap the note names by keyword
    known_threshold: float = 0.47  # below: not a known gap (similarity plus half the head vote)
    temperature: float = 0.03  # fitted on dev for calibration (bench/calibrate.py)
    multi_threshold: float = 0.45  # a second gap needs a segment this close to it
    multi_margin: float = 0.06  # ...and this far ahead of the primary gap in that segment
    max_signals: int = 3
    head_weight: float = 0.2  # weight of the trained head's probability, added to the similarity


@dataclass
class GapDecision:
    primary: Scored
    others: list[tuple[str, float, int]] = field(default_factory=list)  # (label, score, segment index)
    scores: np.ndarray | None = None


@dataclass
class GapClassifier:
    prototypes: Prototypes
    keywords: dict[str, list[str]]
    limitation_cue: re.Pattern[str] | None
    params: GapParams = field(default_factory=GapParams)

    def _keyword_hits(self, text: str) -> np.ndarray:
        lowered = keyword_text(text)
        return np.asarray(
            [any(_has(k, lowered) for k in self.keywords.get(label, [])) for label in self.prototypes.labels],
            dtype=np.float32,
        )

    def decide(
        self, text: str, segment_vectors: np.ndarray, note_vector: np.ndarray, segment_texts: Sequence[str] = ()
    ) -> GapDecision:
        p = self.params
        seg = self.prototypes.score(segment_vectors)  # (s, L)
        if len(segment_texts) == len(seg):
            seg = seg + p.keyword_bonus * np.stack([self._keyword_hits(t) for t in segment_texts])
        hits = self._keyword_hits(text)
        whole = self.prototypes.score(note_vector[None, :])[0] + p.keyword_bonus * hits
        sim = p.segment_weight * seg.max(axis=0) + (1 - p.segment_weight) * whole
        # the trained head re-ranks; the similarity of the chosen label decides "known or not"
        combined = sim + p.head_weight * self.prototypes.head(note_vector[None, :])[0] if p.head_weight else sim
        # evidence for "a known gap": the similarity, plus half the head's vote
        evidence = (sim + combined) / 2
        threshold = p.known_threshold - p.keyword_relief * hits  # a gap named outright needs less similarity
        eligible = np.where(evidence >= threshold, combined, -np.inf)
        best = int(np.argmax(eligible)) if np.isfinite(eligible).any() else int(np.argmax(evidence))
        labels: list[str | None] = [*self.prototypes.labels, None]
        if evidence[best] >= threshold[best]:
            floor = float(threshold[best] + combined[best] - evidence[best])
            primary = scored(labels, softmax(np.append(combined, floor), p.temperature))
        else:
            primary = self._unknown(text, evidence, labels, float(evidence[best]))
        if primary.label in SPECIAL:  # closest to a reviewed "no gap" / "new gap" correction
            label = None if primary.label == NO_GAP_KEY else NEW_GAP
            primary = primary.model_copy(update={"label": label})
        known = primary.label in self.prototypes.labels
        others = self._others(seg, primary.label) if known else []
        return GapDecision(primary=primary, others=others, scores=combined)

    def _unknown(self, text: str, combined: np.ndarray, labels: list[str | None], best: float) -> Scored:
        """Below the known-gap threshold: a new gap if the note states a limitation, else none."""
        p = self.params
        limitation = bool(self.limitation_cue and self.limitation_cue.search(text))
        probs = softmax(np.append(combined, p.known_threshold), p.temperature)
        alternatives = [(str(labels[i]), round(float(probs[i]), 3)) for i in np.argsort(-probs)[:3] if labels[i]]
        margin = max(0.0, p.known_threshold - best)
        confidence = round(min(0.95, 0.5 + 4 * margin), 3)
        return Scored(label=NEW_GAP if limitation else None, confidence=confidence, alternatives=alternatives)

    def _others(self, seg: np.ndarray, primary: str | None) -> list[tuple[str, float, int]]:
        """Further gaps: segments whose best label is another gap, clearly ahead of the primary there."""
        p = self.params
        col = self.prototypes.labels.index(primary) if primary in self.prototypes.labels else None
        found: dict[str, tuple[float, int]] = {}
        for index, row in enumerate(seg):
            top = int(np.argmax(row))
            label = self.prototypes.labels[top]
            if label in SPECIAL or label == primary or row[top] < p.multi_threshold:
                continue
            if col is not None and row[top] - row[col] < p.multi_margin:
                continue
            if label not in found or row[top] > found[label][0]:
                found[label] = (float(row[top]), index)
        ranked = sorted(found.items(), key=lambda kv: -kv[1][0])[: p.max_signals - 1]
        return [(label, score, index) for label, (score, index) in ranked]


@dataclass
class TypeParams:
    embed_weight: float = 4.0
    cue_weight: float = 0.5
    gap_bonus: float = 0.5
    competitor_bonus: float = 0.6
    temperature: float = 0.15  # fitted on dev for calibration (bench/calibrate.py)
    head_weight: float = 0.0
    # precedence when cues of several types match: earlier types win ties
    precedence: tuple[str, ...] = ("Loss", "Win", "Competitive", "Product Gap", "Opportunity")


@dataclass
class TypeClassifier:
    prototypes: Prototypes
    params: TypeParams = field(default_factory=TypeParams)

    def decide(
        self, note_vector: np.ndarray, cue_counts: dict[str, int], has_gap: bool, has_competitor: bool
    ) -> Scored:
        p = self.params
        labels = self.prototypes.labels
        emb = self.prototypes.score(note_vector[None, :])[0]
        if p.head_weight:
            emb = emb + p.head_weight * self.prototypes.head(note_vector[None, :])[0]
        scores = p.embed_weight * (emb - emb.mean())
        for i, label in enumerate(labels):
            count = min(cue_counts.get(label, 0), 2)
            rank = p.precedence.index(label) if label in p.precedence else len(p.precedence)
            scores[i] += p.cue_weight * count * (1 + 0.25 * (len(p.precedence) - rank))
            if label == "Product Gap" and has_gap:
                scores[i] += p.gap_bonus
            if label == "Competitive" and has_competitor:
                scores[i] += p.competitor_bonus
            if label == "Opportunity" and has_gap:
                scores[i] -= p.gap_bonus
        return scored(list(labels), softmax(scores, p.temperature))

"""A learned span tagger: which words of a note name the customer, and which a competitor.

Token classification over the encoder's word-piece vectors (plus how each word is written, which
a lower-casing tokenizer cannot see): a scikit-learn logistic regression with the BIO tags
O, B/I-customer, B/I-competitor, trained on the corpus rows' `customer_mention` and
`competitor_mention`. Whether "AWS" is a rival or only where the customer runs is read from
context, by the model, not by a rule. Names are then mapped to canonical ones by the taxonomy's
alias list (competitors) and the workspace's known customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fieldsignal.triage.bio import KINDS, TAGS
from fieldsignal.triage.encoder import TokenVectors


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    text: str
    score: float


def features(tokens: TokenVectors) -> np.ndarray:
    """Each word piece's vector, its casing, and its neighbours' casing."""
    cased = tokens.cased
    if len(cased) == 0:
        return np.zeros((0, tokens.vectors.shape[1] + 12), dtype=np.float32)
    before = np.vstack([np.zeros((1, cased.shape[1]), np.float32), cased[:-1]])
    after = np.vstack([cased[1:], np.zeros((1, cased.shape[1]), np.float32)])
    return np.hstack([tokens.vectors, cased, before, after]).astype(np.float32)


class SpanTagger:
    def __init__(self, seed: int = 13, keep_outside: float = 0.3) -> None:
        self.seed = seed
        self.keep_outside = keep_outside
        self.model: object | None = None
        self.scaler: Any = None

    def fit(self, token_sets: Sequence[TokenVectors], tag_sets: Sequence[np.ndarray]) -> SpanTagger:
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(self.seed)
        xs, ys, ws = [], [], []
        for tokens, tagged in zip(token_sets, tag_sets, strict=True):
            if len(tagged) == 0:
                continue
            keep = (tagged != 0) | (rng.random(len(tagged)) < self.keep_outside)
            xs.append(features(tokens)[keep])
            ys.append(tagged[keep])
            ws.append(np.where(tagged[keep] == 0, 1.0 / self.keep_outside, 1.0))
        from sklearn.preprocessing import StandardScaler

        x = np.vstack(xs)
        self.scaler = StandardScaler().fit(x)
        model = LogisticRegression(C=0.1, max_iter=500)
        model.fit(self.scaler.transform(x), np.concatenate(ys), sample_weight=np.concatenate(ws))
        self.model = model
        return self

    def spans(self, text: str, tokens: TokenVectors) -> list[Span]:
        """Every tagged span, best first."""
        return self.read(text, tokens)[0]

    def read(self, text: str, tokens: TokenVectors, weak: float = 1.0) -> tuple[list[Span], list[Span]]:
        """Every tagged span, best first; and the runs of word pieces whose probability of naming the
        customer reaches `weak` (none at 1.0), best first: names the tagger doubts, which an account list
        may still recognise."""
        if self.model is None or len(tokens.offsets) == 0:
            return [], []
        probs = np.zeros((len(tokens.offsets), len(TAGS)), dtype=np.float32)
        x = self.scaler.transform(features(tokens))
        probs[:, self.model.classes_] = self.model.predict_proba(x)  # type: ignore[attr-defined]
        return self._tagged(text, tokens, probs), _runs(text, tokens, probs, "customer", weak)

    def _tagged(self, text: str, tokens: TokenVectors, probs: np.ndarray) -> list[Span]:
        best = viterbi(probs)
        found: list[Span] = []
        for kind in KINDS:
            begin, inside = TAGS.index(f"B-{kind}"), TAGS.index(f"I-{kind}")
            run: list[int] = []
            for i in [*range(len(best)), -1]:
                tag = best[i] if i >= 0 and not _separator(text, tokens, i) else 0
                if run and (tag != inside or _gap_between(text, tokens, run[-1], i)):
                    found.append(_span(kind, text, tokens, run, probs[:, begin] + probs[:, inside]))
                    run = []
                if i >= 0 and (tag == begin or (tag == inside and not run)):
                    run = [i]
                elif i >= 0 and tag == inside:
                    run.append(i)
        return sorted(found, key=lambda s: -s.score)


def _runs(text: str, tokens: TokenVectors, probs: np.ndarray, kind: str, floor: float) -> list[Span]:
    """Runs of word pieces each at least `floor` likely to be inside a name of this kind, best first."""
    likely = probs[:, TAGS.index(f"B-{kind}")] + probs[:, TAGS.index(f"I-{kind}")]
    found: list[Span] = []
    run: list[int] = []
    for i in range(len(likely) + 1):
        inside = i < len(likely) and likely[i] >= floor and not _separator(text, tokens, i)
        if run and (not inside or _gap_between(text, tokens, run[-1], i)):
            found.append(_span(kind, text, tokens, run, likely))
            run = []
        if inside:
            run.append(i)
    return sorted(found, key=lambda s: -s.score)


def _allowed() -> np.ndarray:
    """BIO transitions: I-x only after B-x or I-x (and a note cannot open with I-x)."""
    allowed = np.ones((len(TAGS), len(TAGS)), dtype=bool)
    for kind in KINDS:
        inside = TAGS.index(f"I-{kind}")
        allowed[:, inside] = False
        allowed[TAGS.index(f"B-{kind}"), inside] = allowed[inside, inside] = True
    return allowed


_ALLOWED = _allowed()


def viterbi(probs: np.ndarray) -> np.ndarray:
    """The most probable tag sequence that is valid BIO, from the per-piece tag probabilities."""
    n = len(probs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    logp = np.log(np.clip(probs, 1e-9, 1.0))
    penalty = np.where(_ALLOWED, 0.0, -np.inf)
    start = np.asarray([0.0 if not t.startswith("I-") else -np.inf for t in TAGS])
    score = logp[0] + start
    back = np.zeros((n, len(TAGS)), dtype=np.int64)
    for i in range(1, n):
        candidates = score[:, None] + penalty  # previous tag × this tag
        back[i] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + logp[i]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


_BREAKS = frozenset(":;|\u2013\u2014()[]<>")  # a name does not contain a colon, a dash between words, brackets


def _gap_between(text: str, tokens: TokenVectors, last: int, i: int) -> bool:
    """A name does not run across a line break, a sentence end or a separator such as "Acme: security"."""
    if i < 0:
        return True
    between = text[tokens.offsets[last, 1] : tokens.offsets[i, 0]]
    return "\n" in between or len(between) > 2 or any(c in _BREAKS for c in between)


def _separator(text: str, tokens: TokenVectors, i: int) -> bool:
    """A word piece that is a separator is never part of a name."""
    piece = text[tokens.offsets[i, 0] : tokens.offsets[i, 1]]
    return bool(piece) and all(c in _BREAKS for c in piece)


def _span(kind: str, text: str, tokens: TokenVectors, run: list[int], score: np.ndarray) -> Span:
    start, end = int(tokens.offsets[run[0], 0]), int(tokens.offsets[run[-1], 1])
    while end < len(text) and (text[end].isalnum()):  # a word is named whole, not a piece of it
        end += 1
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    return Span(kind, start, end, text[start:end].strip(" .,:;'\"()"), float(score[run].mean()))


def pick(spans: Sequence[Span], kind: str, threshold: float) -> str | None:
    """The name of this kind the note is most sure of; its fullest written form."""
    scored: dict[str, float] = {}
    for span in spans:
        if span.kind == kind and span.score >= threshold and span.text:
            key = span.text.casefold()
            scored[key] = scored.get(key, 0.0) + span.score
    if not scored:
        return None
    top = max(scored, key=lambda k: scored[k])
    forms = [s.text for s in spans if s.kind == kind and s.text and top in s.text.casefold() and s.score >= threshold]
    return max(forms, key=len)

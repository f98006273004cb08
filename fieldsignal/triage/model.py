"""The learned triage model: every head, trained together from labelled examples, and what it predicts.

Training examples come from the corpus (many writers), the taxonomy's own examples and the
workspace's reviewed corrections (weighted up, so a fix changes the next similar note at once).
An example labels only the fields it knows (`labels` holds those keys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fieldsignal.models import NEW_GAP
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage import evidence as ev
from fieldsignal.triage.accounts import AccountLinker, training_pairs
from fieldsignal.triage.acv import AcvScorer
from fieldsignal.triage.bio import name_places, tags
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.gapset import GapSet
from fieldsignal.triage.gate import ReviewGate
from fieldsignal.triage.heads import Head, MultiLabelHead, note_features, segment_vectors
from fieldsignal.triage.rivals import RivalClassifier
from fieldsignal.triage.spans import Span, SpanTagger, pick
from fieldsignal.triage.threads import one_thread
from fieldsignal.triage.wordpieces import WordPieceMeans

Encode = Callable[[Sequence[str]], list[TokenVectors]]
Pair = tuple[np.ndarray, np.ndarray]
SPAN_THRESHOLD = 0.35
# Word pieces at least this likely to name the customer make a weaker candidate name, tried against an
# account list only after the tagged names (chosen on the corpus's writer folds, bench/tagger_crossval.py)
CANDIDATE_P = 0.1
C = 0.05  # regularisation of every head, on standardised features
# A note this alike a reviewed correction (cosine of the standardised note features the heads read)
# takes the correction's labels. Without second-report data to learn it from (see `learn_recall`), 0.9.
RECALL_SIMILARITY = 0.9
RECALL_FALSE_RATE = 0.01  # learnt bar: only 1 in 100 pairs of different stories are this alike
REVIEWED = "reviewed"  # the group of a workspace's reviewed corrections


@dataclass
class Example:
    text: str
    labels: dict[str, Any]
    group: str = "corpus"
    weight: float = 1.0


def gap_class(value: Any) -> str | None:
    """A row's gap as a class: a slug, NEW_GAP for "NEW: …", None for no gap."""
    if value is None or value == "":
        return None
    text = str(value)
    return NEW_GAP if text.upper().startswith("NEW") or text == NEW_GAP else text


@dataclass
class Prediction:
    signal_type: list[tuple[str, float]]  # best first
    gap: list[tuple[str | None, float]]
    more_gaps: list[tuple[str, float]]  # other gaps the note reports, with their probability
    industry: tuple[str | None, float]
    archetype: tuple[str | None, float]
    customer: str | None
    competitor: str | None
    acv_usd: int | None
    spans: list[Span] = field(default_factory=list)
    # the other names the note may give its customer, best first (tagged ones, then weaker runs)
    customer_candidates: list[str] = field(default_factory=list)
    segments: list[tuple[int, int]] = field(default_factory=list)  # the note's sentences (start, end)
    # per gap class (None: no gap), how well each sentence states a signal of the note's type with that gap
    evidence: dict[str | None, np.ndarray] = field(default_factory=dict)
    # the probabilities of the customer span, the competitor, the ACV and the industry (the review gate's)
    confidence: dict[str, float] = field(default_factory=dict)


class TriageModel:
    def __init__(self, seed: int = 13, taxonomy: Taxonomy | None = None) -> None:
        self.seed = seed
        self.rivals = RivalClassifier(taxonomy) if taxonomy is not None else None
        self.types = Head(c=C)
        self.gaps = Head(c=C)
        self.more = MultiLabelHead(c=C)
        self.gapset = GapSet()  # which of the two gap heads' gaps the note reports (learnt)
        self.industry = Head(c=C)
        self.archetype = Head(c=C)
        self.tagger = SpanTagger(seed=seed)
        self.acv = AcvScorer()
        self.linker = AccountLinker(seed=seed)
        self.words = WordPieceMeans()  # the industry head reads what the words mean, untuned, too
        self._name_vectorizer: Any = None
        self.scaler: Any = None
        self.word_scaler: Any = None
        self.memory: list[tuple[np.ndarray, dict[str, Any]]] = []
        self.recall_similarity = RECALL_SIMILARITY
        self.recall_precision: float | None = None  # share of labelled pairs above the bar that are one story
        self.gate: ReviewGate | None = None  # which notes go to review (gate.py; fitted by gate_training.py)
        self.evidence = ev.EvidenceSelector()  # which sentence a signal quotes (fitted by fit_evidence)

    # ---------------------------------------------------------------- training
    @one_thread
    def fit(self, examples: Sequence[Example], tokens: Sequence[TokenVectors]) -> TriageModel:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._name_vectorizer = HashingVectorizer(
            n_features=2**12, analyzer="char_wb", ngram_range=(2, 4), alternate_sign=False, norm="l2"
        )
        from sklearn.preprocessing import StandardScaler

        raw = np.stack([note_features(e.text, t) for e, t in zip(examples, tokens, strict=True)])
        self.scaler = StandardScaler().fit(raw)
        self.raw_features: np.ndarray | None = raw
        feats = self.scaler.transform(raw)
        weights = np.asarray([e.weight for e in examples], dtype=np.float64)
        groups = np.asarray([e.group for e in examples], dtype=object)

        def rows(key: str) -> np.ndarray:
            return np.asarray([i for i, e in enumerate(examples) if key in e.labels], dtype=np.int64)

        for head, key, convert in (
            (self.types, "signal_type", lambda v: v),
            (self.gaps, "gap", gap_class),
            (self.archetype, "archetype", lambda v: v),
        ):
            idx = rows(key)
            if len(idx):
                labels = [convert(examples[i].labels[key]) for i in idx]
                head.fit(feats[idx], labels, weights[idx], groups[idx])
        sets = [gap_sets(e) for e in examples]
        idx = np.asarray([i for i, found in enumerate(sets) if found is not None], dtype=np.int64)
        if len(idx):
            self.more.fit(feats[idx], [sorted(sets[i] or ()) for i in idx], weights[idx])
        self._fit_gapset(examples, feats, weights, groups)
        idx = rows("industry")
        if len(idx):
            names = [examples[i].labels.get("customer_mention") or "" for i in idx]
            words = self._meanings([examples[i].text for i in idx], names)
            self.word_scaler = StandardScaler().fit(words)
            x = self._with_name(np.hstack([feats[idx], self.word_scaler.transform(words)]), names)
            self.industry.fit(x, [examples[i].labels["industry"] for i in idx], weights[idx], groups[idx])
        idx = np.intersect1d(rows("customer_mention"), rows("competitor_mention"))
        if len(idx):
            tagged = [tags(tokens[i], name_places(examples[i])) for i in idx]
            self.tagger.fit([tokens[i] for i in idx], tagged)
            if self.rivals is not None:
                known = [i for i in idx if "competitor" in examples[i].labels]
                texts = [examples[i].text for i in known]
                spans = [self.tagger.spans(examples[i].text, tokens[i]) for i in known]
                gold = [examples[i].labels["competitor"] for i in known]
                self.rivals.fit(texts, [tokens[i] for i in known], spans, gold)
        idx = rows("acv_usd")
        if len(idx):
            self.acv.fit([examples[i].text for i in idx], [examples[i].labels["acv_usd"] for i in idx])
        named = [(e.labels.get("customer_mention"), e.labels.get("customer"), e.group) for e in examples]
        self.linker.fit(training_pairs(named))
        return self

    def _fit_gapset(
        self, examples: Sequence[Example], feats: np.ndarray, weights: np.ndarray, groups: np.ndarray
    ) -> None:
        """The combination of the two gap heads, learnt from their out-of-fold probabilities (gapset.py)."""
        labelled = [i for i, e in enumerate(examples) if "gap" in e.labels]
        both = np.asarray([i for i in labelled if "gaps" in examples[i].labels], dtype=np.int64)
        if not len(both) or not self.more.models:
            return
        gold = [_gap_set(examples[i].labels) for i in both]

        def heads(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
            out = set(both[held].tolist())
            main_rows = np.asarray([i for i in labelled if i not in out], dtype=np.int64)
            main = Head(c=C).fit(
                feats[main_rows], [gap_class(examples[i].labels["gap"]) for i in main_rows], weights[main_rows],
                groups[main_rows],
            )  # fmt: skip
            more_rows = both[train]
            more = MultiLabelHead(c=C).fit(feats[more_rows], [sorted(gold[k]) for k in train], weights[more_rows])
            return main.proba(feats[both[held]]), main.classes, more.proba(feats[both[held]])

        self.gapset.fit(heads, np.arange(len(both)), groups[both], gold, self.gaps.classes)

    def _with_name(self, feats: np.ndarray, names: Sequence[str]) -> Any:
        grams = self._name_vectorizer.transform([n.lower() for n in names])
        if not hasattr(grams, "tocsr"):  # frozen (see frozen.py): dense rows, no SciPy
            return np.hstack([feats, grams])
        from scipy.sparse import csr_matrix, hstack

        return hstack([csr_matrix(feats), grams]).tocsr()

    def _industry_features(self, texts: Sequence[str], feats: np.ndarray, customers: Sequence[str | None]) -> Any:
        """What the industry head reads: the note's features, what its words and its customer's name mean
        untuned, the name's letters."""
        if self.word_scaler is None:  # no industry was labelled: the head predicts nothing anyway
            return self._with_name(feats, [c or "" for c in customers])
        names = [c or "" for c in customers]
        return self._with_name(np.hstack([feats, self.word_scaler.transform(self._meanings(texts, names))]), names)

    def _meanings(self, texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
        """What a note's words mean untuned, and, beside it, what its customer's name means ("Mutual",
        "Therapeutics" mean something in a name no training note used): word-piece means (wordpieces.py)."""
        return np.hstack([self.words.features(texts), self.words.features(names)])

    # ---------------------------------------------------------------- prediction
    def remember(self, corrections: Sequence[Example], tokens: Sequence[TokenVectors]) -> None:
        """Reviewed corrections, recalled for a note that says nearly the same thing (a fix applies at once)."""
        self.memory = [
            (self.likeness(e.text, t), e.labels) for e, t in zip(corrections, tokens, strict=True) if len(t.offsets)
        ]

    def likeness(self, text: str, tokens: TokenVectors) -> np.ndarray:
        """The note as the heads see it (standardised features), unit length: dot products are cosines."""
        z = self.scaler.transform(note_features(text, tokens)[None, :])[0]
        norm = float(np.linalg.norm(z))
        return (z / norm if norm else z).astype(np.float32)

    def learn_recall(self, same: Sequence[Pair], other: Sequence[Pair]) -> None:
        """Set the recall bar from labelled pairs of notes (`likeness` vectors): second reports of one
        story (`same`) and different stories by the same writer about the same customer or gap
        (`other`). The bar is where only RECALL_FALSE_RATE of the `other` pairs are as alike."""
        if len(other) < 20 or not same:
            return
        alike = np.asarray([float(a @ b) for a, b in other])
        bar = float(np.quantile(alike, 1 - RECALL_FALSE_RATE))
        above = sum(float(a @ b) >= bar for a, b in same)
        self.recall_similarity = bar
        self.recall_precision = above / (above + int((alike >= bar).sum())) if above else None

    def _recall(self, text: str, tokens: TokenVectors) -> tuple[dict[str, Any], float] | None:
        if not getattr(self, "memory", None) or len(tokens.offsets) == 0:
            return None
        vector = self.likeness(text, tokens)
        similarity, labels = max(((float(v @ vector), labels) for v, labels in self.memory), key=lambda x: x[0])
        return (labels, similarity) if similarity >= self.recall_similarity else None

    def predict(self, text: str, tokens: TokenVectors) -> Prediction:
        return self.predict_many([text], [tokens])[0]

    def predict_many(self, texts: Sequence[str], tokens: Sequence[TokenVectors]) -> list[Prediction]:
        """Every head over a batch of notes at once (one matrix per head, not one call per note)."""
        out = self._predict_many(texts, tokens)
        for text, vectors, prediction in zip(texts, tokens, out, strict=True):
            recalled = self._recall(text, vectors)
            if recalled is None:
                continue
            labels, similarity = recalled
            similarity = getattr(self, "recall_precision", None) or similarity  # how often such a recall is right
            if labels.get("signal_type"):
                rest = [(t, p) for t, p in prediction.signal_type if t != labels["signal_type"]]
                prediction.signal_type = [(labels["signal_type"], similarity), *rest]
            if "gap" in labels:
                gap = gap_class(labels["gap"])
                prediction.gap = [(gap, similarity), *((g, p) for g, p in prediction.gap if g != gap)]
                prediction.more_gaps = [(g, p) for g, p in prediction.more_gaps if gap is not None and g != gap]
        return out

    def _predict_many(self, texts: Sequence[str], tokens: Sequence[TokenVectors]) -> list[Prediction]:
        if not texts:
            return []
        feats = self.scaler.transform(np.vstack([note_features(t, k) for t, k in zip(texts, tokens, strict=True)]))
        read = [self.tagger.read(t, k, CANDIDATE_P) for t, k in zip(texts, tokens, strict=True)]
        spans = [tagged for tagged, _ in read]
        customers = [pick(found, "customer", SPAN_THRESHOLD) for found in spans]
        names = zip(customers, read, strict=True)
        candidates = [other_customer_names(name, [*tagged, *weak]) for name, (tagged, weak) in names]
        types, gaps = self.types.proba(feats), self.gaps.proba(feats)
        present = self.more.proba(feats)
        industries = self.industry.proba(self._industry_features(texts, feats, customers))
        archetypes = self.archetype.proba(feats)
        gapset = getattr(self, "gapset", None)
        decided = gapset.decide(gaps, self.gaps.classes, present) if gapset is not None else None
        out = []
        for i, (text, vectors) in enumerate(zip(texts, tokens, strict=True)):
            if self.rivals is not None and self.rivals.model is not None:
                competitor, competitor_p = self.rivals.predict(text, vectors, spans[i])
            else:
                competitor = pick(spans[i], "competitor", SPAN_THRESHOLD)
                competitor_p = _span_score(spans[i], "competitor", competitor)
            ranked_gaps, more = _gaps(self.gaps, gaps[i], present, i, decided[i] if decided else None)
            acv, acv_p = self.acv.predict(text)
            industry = _ranked(self.industry, industries[i])[0]
            out.append(
                Prediction(
                    signal_type=[(str(label), p) for label, p in _ranked(self.types, types[i])],
                    gap=ranked_gaps,
                    more_gaps=more,
                    industry=industry,
                    archetype=_ranked(self.archetype, archetypes[i])[0],
                    customer=customers[i],
                    competitor=competitor,
                    acv_usd=acv,
                    spans=spans[i],
                    customer_candidates=candidates[i],
                    **self._evidence(text, vectors, _ranked(self.types, types[i])[0][0]),
                    confidence={
                        "customer": _span_score(spans[i], "customer", customers[i]),
                        "competitor": competitor_p,
                        "acv": acv_p,
                        "industry": industry[1],
                    },
                )
            )
        return out

    def evidence_sentences(self, text: str, tokens: TokenVectors) -> tuple[ev.Sentences, np.ndarray, np.ndarray]:
        """A note's sentences as the evidence selector reads them, with the type and gap heads' probabilities
        for each sentence read as if it were a note."""
        spans, segs = segment_vectors(text, tokens)
        z = self.scaler.transform(np.hstack([segs, segs]))
        return ev.sentence_rows(text, spans, segs), self.types.proba(z), self.gaps.proba(z)

    def fit_evidence(self, notes: Sequence[tuple[str, TokenVectors, Sequence[ev.Marked]]]) -> None:
        """Learn which sentence a signal quotes from notes whose evidence sentences people marked."""
        rows: list[ev.Row] = []
        for text, tokens, marks in notes:
            sentences, type_p, gap_p = self.evidence_sentences(text, tokens)
            rows += ev.labelled_rows(sentences, type_p, gap_p, marks, self.types.classes, self.gaps.classes)
        if rows:
            self.evidence = ev.EvidenceSelector().fit([r.x for r in rows], [r.marked for r in rows])

    def _evidence(self, text: str, tokens: TokenVectors, signal_type: str | None) -> dict[str, Any]:
        """The note's sentences and, per gap class, each one's evidence score (evidence.py): learnt from marked
        evidence sentences, or the gap head's probability for the sentence where none were marked."""
        if self.gaps.model is None or len(tokens.offsets) == 0:
            return {}
        sentences, type_p, gap_p = self.evidence_sentences(text, tokens)
        labels = [self.gaps.label(c) for c in range(gap_p.shape[1])]
        selector = getattr(self, "evidence", None)
        if selector is None or not selector.fitted or signal_type not in self.types.classes:
            return {"segments": sentences.spans, "evidence": {g: gap_p[:, c] for c, g in enumerate(labels)}}
        kind = ev.head_columns(type_p)[:, self.types.classes.index(str(signal_type)), :]
        columns = ev.head_columns(gap_p)
        scores = {g: selector.scores(ev.features(sentences, kind, columns[:, c, :])) for c, g in enumerate(labels)}
        return {"segments": sentences.spans, "evidence": scores}


def other_customer_names(picked: str | None, spans: Sequence[Span]) -> list[str]:
    """The names the spans give the customer other than the picked one, each once, best first."""
    seen = {picked.casefold()} if picked else set()
    out = []
    for span in spans:
        if span.kind == "customer" and span.text and span.text.casefold() not in seen:
            seen.add(span.text.casefold())
            out.append(span.text)
    return out


def _span_score(spans: Sequence[Span], kind: str, name: str | None) -> float:
    """The tagger's score for the picked name of this kind (its best span), 0 when none was picked."""
    if not name:
        return 0.0
    key = name.casefold()
    return max((s.score for s in spans if s.kind == kind and s.text and s.text.casefold() in key), default=0.0)


def _ranked(head: Head, probs: np.ndarray) -> list[tuple[Any, float]]:
    """One note's row of `head.proba`, best first."""
    order = np.argsort(-probs)
    return [(head.label(int(i)) if head.classes else None, float(probs[i])) for i in order]


def gap_sets(example: Example) -> set[str] | None:
    """The gaps the further-gaps head learns a row carries: its labelled gap set; for a reviewed correction,
    which names one gap, that gap alone (or none); None for a row that does not say."""
    if "gaps" in example.labels or (example.group == REVIEWED and "gap" in example.labels):
        return _gap_set(example.labels)
    return None


def _gap_set(labels: dict[str, Any]) -> set[str]:
    """Every gap a row is labelled with (its main gap and `gaps`), as classes."""
    found = {gap_class(g) for g in [labels.get("gap"), *(labels.get("gaps") or [])]}
    return {g for g in found if g}


def _gaps(
    head: Head,
    probs: np.ndarray,
    present: dict[str, np.ndarray],
    i: int,
    decided: tuple[list[tuple[str, float]], float] | None,
) -> tuple[list[tuple[Any, float]], list[tuple[str, float]]]:
    """The main gap ranked first (with the alternatives after it) and the note's further gaps.

    The learnt combination decides (gapset.py); a model without one (no note was labelled with its
    gap set) keeps the main head's ranking and the further gaps it is sure of."""
    ranked = _ranked(head, probs)
    if decided is None:
        top = ranked[0][0]
        more = [(g, float(p[i])) for g, p in present.items() if g and g not in (top, NEW_GAP) and float(p[i]) >= 0.5]
        return ranked, sorted(more, key=lambda gp: -gp[1])[:2]
    chosen, none = decided
    first = chosen[0] if chosen else (None, none)
    rest = [(g, p) for g, p in ranked if g != first[0]]
    share = sum(p for _, p in rest)  # the alternatives share what the first leaves, in the main head's proportions
    scale = (1.0 - first[1]) / share if share else 0.0
    return [first, *((g, p * scale) for g, p in rest)], chosen[1:]

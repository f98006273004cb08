"""The triage pipeline: notes in, signal drafts out. Pure: it stores nothing.

segment → embed (one batch for all segments of all notes) → gap → extract → type.
A note whose segments point clearly at several gaps yields one signal per gap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fieldsignal.agent.classify import (
    NEW_GAP_KEY,
    NO_GAP_KEY,
    SPECIAL,
    GapClassifier,
    GapDecision,
    Prototypes,
    TypeClassifier,
    softmax,
)
from fieldsignal.agent.extract import Extractor, expand_short
from fieldsignal.ingest.segment import segments
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import NEW_GAP, LabelledExample, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.pipeline import review_reasons
from fieldsignal.vectorstore.embedder import Embedder

EXCERPT_CHARS = 400
GOOD_NEWS = ("Win", "Opportunity")
# Plain-English failure and absence words: with the taxonomy's own limitation cues, what makes a
# note that matches no known gap a new-gap proposal rather than "no gap".
_FAILURE = (
    r"\b(?:drops?|dropped|fails?|failed|errors? out|breaks?|broken|times? out|timed out|crash\w*|"
    r"not possible|impossible|unsupported|isn'?t supported|no (?:way|support|story|option)|"
    r"doesn'?t (?:work|have|allow|support)|won'?t (?:work|run)|unable to|wish(?:es)?|not a thing)\b"
)


def good_news_is_sure(signal_type: Scored, cues: dict[str, int], threshold: float) -> bool:
    """Good news erases a blocker only when it is stated ("signed", "went live") or confident:
    a note that merely sounds upbeat keeps its gap, and goes to review for its type."""
    return bool(cues.get(signal_type.label or "")) or signal_type.confidence >= threshold


def _gap_key(example: LabelledExample) -> str:
    if example.gap:
        return example.gap
    return NEW_GAP_KEY if example.new_gap_label else NO_GAP_KEY


def gap_prototype_texts(taxonomy: Taxonomy) -> dict[str, list[str]]:
    return {g.slug: [g.description, f"{g.name}: {g.use_case_blocked}".strip(": "), *g.examples] for g in taxonomy.gaps}


def gap_training_texts(taxonomy: Taxonomy, labelled: Sequence[LabelledExample] = ()) -> dict[str, list[str]]:
    """Every labelled text of the gap classifier: taxonomy prototypes plus reviewed corrections."""
    texts = gap_prototype_texts(taxonomy)
    for example in labelled:
        texts.setdefault(_gap_key(example), []).append(example.text)
    return texts


@dataclass
class Triage:
    taxonomy: Taxonomy
    embedder: Embedder
    gaps: GapClassifier
    types: TypeClassifier | None
    extractor: Extractor
    review_threshold: float = 0.70
    gap_embedder: Embedder | None = None  # a model fine-tuned on the gap labels, if trained

    @classmethod
    def build(
        cls,
        taxonomy: Taxonomy,
        embedder: Embedder,
        review_threshold: float = 0.70,
        labelled: Sequence[LabelledExample] = (),
        gap_embedder: Embedder | None = None,
    ) -> Triage:
        """`labelled`: reviewed examples; each joins its gap's and its type's prototypes.

        `gap_embedder`: the model `fieldsignal train` tuned on the gap labels; the gap
        classifier then reads its vectors, the rest (type, excerpts) the base model's.
        """
        texts = gap_training_texts(taxonomy, labelled)
        gap_protos = Prototypes.build(texts, (gap_embedder or embedder).encode)
        limitation = next((t for t in taxonomy.signal_types if t.name == "Product Gap"), None)
        cues = [*(limitation.cues if limitation else []), _FAILURE]
        cue = re.compile("|".join(f"(?:{c})" for c in cues), re.I)
        keywords = {g.slug: [k.lower() for k in g.keywords] for g in taxonomy.gaps}
        types = None
        if taxonomy.signal_types:
            type_texts: dict[str, list[str]] = {t.name: [t.description, *t.examples] for t in taxonomy.signal_types}
            for example in labelled:
                if example.signal_type in type_texts:
                    type_texts[example.signal_type].append(example.text)
            types = TypeClassifier(Prototypes.build(type_texts, embedder.encode))
        gaps = GapClassifier(gap_protos, keywords, cue)
        return cls(taxonomy, embedder, gaps, types, Extractor(taxonomy), review_threshold, gap_embedder)

    # ---------------------------------------------------------------- public
    def triage(self, notes: Sequence[NoteInput], known_customers: tuple[str, ...] = ()) -> list[TriageResult]:
        pieces = [segments(n.text) for n in notes]
        flat = [s for p in pieces for s in p]
        vectors = self.embedder.encode(flat)
        gap_vectors = self.gap_embedder.encode(flat) if self.gap_embedder else vectors
        results = []
        start = 0
        for note, segs in zip(notes, pieces, strict=True):
            end = start + len(segs)
            results.append(self._one(note, segs, vectors[start:end], gap_vectors[start:end], known_customers))
            start = end
        return results

    def note_vector(self, seg_vectors: np.ndarray, segs: Sequence[str]) -> np.ndarray:
        weights = np.asarray([max(1, len(s.split())) for s in segs], dtype=np.float32)
        mean = (seg_vectors * weights[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else mean

    # ---------------------------------------------------------------- internals
    def _one(
        self,
        note: NoteInput,
        segs: list[str],
        seg_vectors: np.ndarray,
        gap_vectors: np.ndarray,
        known_customers: tuple[str, ...],
    ) -> TriageResult:
        note_vec = self.note_vector(seg_vectors, segs)
        gap_note_vec = self.note_vector(gap_vectors, segs) if self.gap_embedder else note_vec
        decision = self.gaps.decide(note.text, gap_vectors, gap_note_vec, segs)
        deal = self.extractor.extract(note, known_customers)
        has_gap = decision.primary.label is not None
        cues = self.extractor.signal_cues(note.text)
        signal_type = self._type(cues, note_vec, has_gap, deal.competitor is not None)
        if signal_type.label in GOOD_NEWS and good_news_is_sure(signal_type, cues, self.review_threshold):
            self._good_news(note.text, decision, signal_type)
        deal = deal.model_copy(update={"lost_deal": signal_type.label == "Loss"})
        primary_excerpt = self._excerpt(note.text, segs, gap_vectors, decision.primary.label)
        drafts = [self._draft(decision.primary, signal_type, deal, primary_excerpt, note.text, decision.scores)]
        for label, score, index in decision.others:
            gap = Scored(label=label, confidence=round(min(0.95, score + 0.2), 3))
            drafts.append(self._draft(gap, signal_type, deal, segs[index], segs[index], None))
        return TriageResult(note=note, note_hash=content_hash(note.text), signals=drafts)

    def _good_news(self, text: str, decision: GapDecision, signal_type: Scored) -> None:
        """Good news never proposes a new gap; a win names a known gap only when it states a limitation.

        (An opportunity keeps its gap: "they'd go ahead if X" is how a blocker is often first heard.)
        """
        label = decision.primary.label
        stated = bool(self.gaps.limitation_cue and self.gaps.limitation_cue.search(text))
        if label is None or (label != NEW_GAP and (stated or signal_type.label != "Win")):
            return
        alternatives = [(label, decision.primary.confidence)] if label != NEW_GAP else []
        decision.primary = Scored(label=None, confidence=signal_type.confidence, alternatives=alternatives)
        decision.others = []

    def _type(self, cues: dict[str, int], note_vec: np.ndarray, has_gap: bool, has_competitor: bool) -> Scored:
        if self.types is None:
            return Scored(label="Product Gap", confidence=1.0)
        return self.types.decide(note_vec, cues, has_gap, has_competitor)

    def _draft(
        self, gap: Scored, signal_type: Scored, deal: object, excerpt: str, text: str, scores: np.ndarray | None
    ) -> SignalDraft:
        known = self.taxonomy.gap_by_slug.get(gap.label or "")
        category = self._category(gap, scores)
        reasons = review_reasons(signal_type, gap, self.review_threshold)
        return SignalDraft(
            signal_type=signal_type,
            gap=gap,
            category=category,
            new_gap_label=new_gap_label(text) if gap.label == NEW_GAP else None,
            excerpt=excerpt[:EXCERPT_CHARS],
            deal=deal,  # type: ignore[arg-type]
            use_case_blocked=known.use_case_blocked if known else None,
            needs_review=bool(reasons),
            review_reasons=reasons,
        )

    def _category(self, gap: Scored, scores: np.ndarray | None) -> Scored:
        known = self.taxonomy.gap_by_slug.get(gap.label or "")
        if gap.label is None or gap.label == NEW_GAP:  # a proposal gets its category when promoted
            return Scored(label=None, confidence=gap.confidence)
        if scores is None:
            return Scored(label=known.category if known else None, confidence=gap.confidence)
        probs = softmax(scores, self.gaps.params.temperature)
        by_category: dict[str, float] = {}
        for slug, prob in zip(self.gaps.prototypes.labels, probs, strict=True):
            if slug in SPECIAL:
                continue
            cat = self.taxonomy.gap_by_slug[slug].category if slug in self.taxonomy.gap_by_slug else slug
            by_category[cat] = by_category.get(cat, 0.0) + float(prob)
        ranked = sorted(by_category.items(), key=lambda kv: -kv[1])
        label = known.category if known else ranked[0][0]
        conf = by_category.get(label, 0.0)
        alts = [(c, round(p, 3)) for c, p in ranked if c != label][:3]
        return Scored(label=label, confidence=round(min(1.0, conf), 3), alternatives=alts)

    def _excerpt(self, text: str, segs: list[str], seg_vectors: np.ndarray, label: str | None) -> str:
        if len(text) <= EXCERPT_CHARS or label not in self.gaps.prototypes.labels:
            return text
        column = self.gaps.prototypes.labels.index(label)
        best = int(np.argmax(self.gaps.prototypes.score(seg_vectors)[:, column]))
        return segs[best]


def expand_batch_customers(
    results: list[TriageResult], known: tuple[str, ...], extractor: Extractor
) -> list[TriageResult]:
    """Notes imported together know each other's customers: "Fairway" becomes the batch's "Fairway Mutual".

    Used by imports, not by eval (which scores each note on its own).
    """
    names = tuple({d.deal.customer for r in results for d in r.signals if d.deal.customer and " " in d.deal.customer})
    out = []
    for result in results:
        short = result.signals[0].deal.customer
        full = expand_short(short, (*known, *names)) if short and " " not in short else short
        if full != short and full is not None:
            deal = result.signals[0].deal.model_copy(
                update={"customer": full, "industry": extractor.industry(full, result.note.text)}
            )
            result = result.model_copy(
                update={"signals": [d.model_copy(update={"deal": deal}) for d in result.signals]}
            )
        out.append(result)
    return out


_LIMITATION = re.compile(
    r"\b(?:no|without|w/o|lack(?:s|ing)? of|missing|doesn'?t (?:support|have|allow)|don'?t (?:support|have)|"
    r"can'?t|cannot|unable to|no way to|not (?:able|possible) to)\b\s+(?P<what>[^.,;!?\n]{3,60})",
    re.I,
)


def new_gap_label(text: str) -> str:
    """A short label for a proposed gap: the first stated limitation, else the opening words."""
    text = re.sub(r"[^\w\s/'$.,:;!?()-]", " ", text)  # no emoji or symbols in a label
    match = _LIMITATION.search(text)
    if match:
        words = match.group("what").split()[:7]
        return f"{match.group(0).split()[0].lower()} {' '.join(words)}".strip()
    return " ".join(text.split()[:8])

"""The learned triage: notes in, signal drafts out. Pure: it stores nothing.

encode each note once (word-piece vectors) → the span tagger names the customer and competitor →
calibrated heads give the type, the gap (or a new-gap proposal, or none), further gaps, industry
and archetype → the money parser and its learned scorer give the ACV. A note that reports several
gaps yields one signal per gap. Anything below the review threshold goes to a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from fieldsignal.ingest.text import content_hash
from fieldsignal.models import NEW_GAP, DealFields, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.encoder import TokenEncoder
from fieldsignal.triage.gate import REASON, Link, ReviewGate, reason
from fieldsignal.triage.model import Prediction, TriageModel

EXCERPT_CHARS = 400


@dataclass
class LearnedTriage:
    taxonomy: Taxonomy
    encoder: TokenEncoder
    model: TriageModel
    review_threshold: float = 0.70
    # (pooled vectors, gap labels, texts) of the training notes: `nearest` reads them
    library: tuple[np.ndarray, list[str | None], list[str]] | None = field(default=None, repr=False)

    def nearest(self, text: str, k: int) -> list[tuple[str | None, str]]:
        """The k training notes most like `text` (cosine of pooled vectors), with their gaps."""
        if self.library is None or not self.library[2]:
            return []
        vectors, gaps, texts = self.library
        query = self.encoder.encode([text])[0].pooled()
        order = np.argsort(-(vectors @ query))[:k]
        return [(gaps[i], texts[i]) for i in order]

    def triage(self, notes: Sequence[NoteInput]) -> list[TriageResult]:
        """The customer is as the note writes it; `link_accounts` then names the account it is."""
        tokens = self.encoder.encode([n.text for n in notes]) if notes else []
        predictions = self.model.predict_many([n.text for n in notes], tokens)
        return self.gated([self.result(note, pred) for note, pred in zip(notes, predictions, strict=True)])

    def result(self, note: NoteInput, pred: Prediction) -> TriageResult:
        """One note's reading, before the review gate's say (`gated`)."""
        types, gaps = valid_reading(pred.signal_type, pred.gap, self.taxonomy.gap_bound_types)
        signal_type = Scored(
            label=types[0][0],
            confidence=round(types[0][1], 4),
            alternatives=[(label, round(p, 4)) for label, p in types[1:3]],
        )
        customer = note.customer or pred.customer
        deal = DealFields(
            customer=customer,
            industry=pred.industry[0],
            archetype=pred.archetype[0],
            competitor=canonical_competitor(pred.competitor, self.taxonomy),
            lost_deal=signal_type.label == "Loss",
            acv_usd=pred.acv_usd,
            date=note.date,
            author=note.author,
        )
        label, conf = gaps[0]
        gap = Scored(
            label=label,
            confidence=round(conf, 4),
            alternatives=[(str(g), round(p, 4)) for g, p in gaps[1:4] if g is not None],
        )
        drafts = [self._draft(note.text, gap, signal_type, deal, pred)]
        for extra, p in pred.more_gaps:
            drafts.append(self._draft(note.text, Scored(label=extra, confidence=round(p, 4)), signal_type, deal, pred))
        return TriageResult(
            note=note,
            note_hash=content_hash(note.text),
            signals=drafts,
            customer_candidates=[] if note.customer else pred.customer_candidates,
            field_confidence={k: round(p, 4) for k, p in pred.confidence.items()},
        )

    def gated(self, results: Sequence[TriageResult], links: Sequence[Link | None] | None = None) -> list[TriageResult]:
        """The results with the review gate's say on their offline signals (gate.py), the batch scored at
        once: the gate for a note read alone, or, with its link, for one whose customer was linked to an
        account list (it replaces the other)."""
        gate: ReviewGate | None = getattr(self.model, "gate", None)
        if gate is None:
            return list(results)
        checked = gate.check(results, links if links is not None else [None] * len(results))
        return [_judged(r, c) for r, c in zip(results, checked, strict=True)]

    def link_accounts(
        self,
        results: Sequence[TriageResult],
        accounts: Sequence[str],
        industries: Mapping[str, str | None] = {},
        complete: bool = True,
    ) -> list[TriageResult]:
        """Each signal's customer, as written, replaced by the known account it names (if one is likely);
        a linked account's industry (`industries`, as the CRM gives it) replaces the one read from the note;
        the review gate then judges the note as linked.

        `complete` says the accounts are a CRM's whole list. When they are only the customers a log has
        named (False), a note whose customer links to none of them is most often about a new customer, not
        misread: it keeps the judgement of a note read alone (its name still made whole when it is a short
        form of an account's). The linked gate learnt from whole lists, where a name that links to nothing
        was misread, and sent such notes to review however plain."""
        if not accounts:
            return list(results)
        links = self.links(results, accounts)
        if not complete:
            links = [None if link is not None and link.account is None else link for link in links]
        return self.linked(results, links, accounts, industries)

    def links(self, results: Sequence[TriageResult], accounts: Sequence[str]) -> list[Link | None]:
        """How each note's customer links to `accounts`: the written name, then the note's other names for it,
        the whole batch at once (None for each without a learnt linker, or without accounts)."""
        linker = getattr(self.model, "linker", None)
        if linker is None or linker.model is None or not accounts:
            return [None] * len(results)
        names = [[n for n in (r.signals[0].deal.customer, *r.customer_candidates) if n] for r in results]
        return [Link(*found) for found in linker.link_scored(names, accounts)]

    def linked(
        self,
        results: Sequence[TriageResult],
        links: Sequence[Link | None],
        accounts: Sequence[str],
        industries: Mapping[str, str | None],
    ) -> list[TriageResult]:
        """The results with their customers linked (`links`; without one, a short form of an account's name
        is made whole, see `canonical_customer`), and gated as linked."""
        out, gated = [], []
        for result, link in zip(results, links, strict=True):
            signals = []
            for s in result.signals:
                if link is None:
                    customer = canonical_customer(s.deal.customer, accounts)
                else:
                    customer = link.account or s.deal.customer
                update: dict[str, str | None] = {"customer": customer}
                if customer is not None and industries.get(customer):
                    update["industry"] = industries[customer]
                signals.append(s.model_copy(update={"deal": s.deal.model_copy(update=update)}))
            joined = result.model_copy(update={"signals": signals})
            out.append(joined)
            if link is not None:
                gated.append(len(out) - 1)
        for i, judged in zip(gated, self.gated([out[i] for i in gated], [links[i] for i in gated]), strict=True):
            out[i] = judged
        return out

    def _draft(self, text: str, gap: Scored, signal_type: Scored, deal: DealFields, pred: Prediction) -> SignalDraft:
        known = self.taxonomy.gap_by_slug.get(gap.label or "")
        reasons = review_reasons(signal_type, gap, self.review_threshold)
        sentence = _evidence_sentence(text, gap.label, pred)
        excerpt = text.strip() if len(text) <= EXCERPT_CHARS or sentence is None else sentence
        return SignalDraft(
            signal_type=signal_type,
            gap=gap,
            category=Scored(label=known.category if known else None, confidence=gap.confidence),
            new_gap_label=_label(sentence or excerpt, deal.customer) if gap.label == NEW_GAP else None,
            excerpt=excerpt[:EXCERPT_CHARS],
            deal=deal,
            use_case_blocked=known.use_case_blocked if known else None,
            needs_review=bool(reasons),
            review_reasons=reasons,
        )


Types = list[tuple[str, float]]
Gaps = list[tuple[str | None, float]]


def valid_reading(types: Types, gaps: Gaps, gap_bound: frozenset[str]) -> tuple[Types, Gaps]:
    """The heads' readings, ranked so that the first type and the first gap go together. A type in `gap_bound`
    (a Product Gap) always names a gap; when the heads' first choices are such a type and no gap, the likelier
    valid pair wins: that type with its likeliest gap, or the likeliest other type with no gap (the two heads'
    probabilities multiplied). The moved label keeps its own probability, so an uncertain pair is reviewed."""
    (first_type, p_type), (first_gap, p_none) = types[0], gaps[0]
    if first_type not in gap_bound or first_gap is not None:
        return types, gaps
    gap = next(((g, p) for g, p in gaps if g is not None), None)
    other = next(((t, p) for t, p in types if t not in gap_bound), None)
    keep_type = p_type * gap[1] if gap else 0.0
    keep_no_gap = other[1] * p_none if other else 0.0
    if gap is not None and keep_type >= keep_no_gap:
        return types, [gap, *(x for x in gaps if x != gap)]
    if other is not None:
        return [other, *(x for x in types if x != other)], gaps
    return types, gaps


def review_reasons(signal_type: Scored, gap: Scored, threshold: float) -> list[str]:
    """Why a person should look at a signal (empty: it is accepted as triaged)."""
    reasons = []
    if signal_type.confidence < threshold:
        reasons.append(f"type uncertain ({signal_type.confidence:.2f})")
    if gap.confidence < threshold:
        reasons.append(f"gap uncertain ({gap.confidence:.2f})")
    if gap.label == NEW_GAP:
        reasons.append("proposes a new gap")
    return reasons


def _evidence_sentence(text: str, gap: str | None, pred: Prediction) -> str | None:
    """The sentence that states the signal best (see evidence.py; None without scored sentences). A long note
    quotes it as the excerpt (a short one is quoted whole); a proposed gap is named from it whatever the length."""
    if not pred.segments or not pred.evidence:
        return None
    scores = pred.evidence.get(gap)
    if scores is None:  # a gap the head does not name (a promoted one): the sentence best for any
        scores = np.max(np.stack(list(pred.evidence.values())), axis=0)
    start, end = pred.segments[int(scores.argmax())]
    return text[start:end].strip() or None


def _label(excerpt: str, customer: str | None = None) -> str:
    """A proposed gap's name: its evidence sentence's first ten words, less the customer it names (the gap is not theirs
    alone: "Granite Telecom - they need the app to …" is named "they need the app to …")."""
    named = rf"(?i)(?<!\w){re.escape(customer)}(?:'s)?(?!\w)\s*[:;,–—-]*" if customer else None
    text = re.sub(named, " ", excerpt) if named else excerpt
    words = re.sub(r"[^\w\s/'$.,-]", " ", text).split() or re.sub(r"[^\w\s/'$.,-]", " ", excerpt).split()
    return " ".join(words[:10])


def canonical_competitor(name: str | None, taxonomy: Taxonomy) -> str | None:
    """The taxonomy's name for a competitor named by an alias ("SiS" → Snowflake); else the name."""
    if not name:
        return None
    key = name.casefold().strip()
    for competitor in taxonomy.competitors:
        forms = [competitor.name, *competitor.aliases]
        if any(key == f.casefold() for f in forms):
            return competitor.name
    for competitor in taxonomy.competitors:
        forms = [competitor.name, *competitor.aliases]
        if any(len(f) > 3 and re.search(rf"\b{re.escape(f.casefold())}\b", key) for f in forms):
            return competitor.name
    return name.strip()


def canonical_customer(name: str | None, known: Sequence[str]) -> str | None:
    """A short or lower-case form of a customer the log already knows becomes that customer's name."""
    if not name:
        return None
    key = name.casefold()
    exact = [k for k in known if k.casefold() == key]
    if exact:
        return exact[0]
    longer = [k for k in known if k.casefold().startswith(key + " ")]
    return longer[0] if len(longer) == 1 else name


def _judged(result: TriageResult, checked: tuple[float, float] | None) -> TriageResult:
    """`result` with its offline signals sent to review when the gate's probability is under its bar."""
    if checked is None:
        return result
    p, bar = checked
    signals = []
    for s in result.signals:
        if s.decided_by != "offline":
            signals.append(s)
            continue
        reasons = [r for r in s.review_reasons if not r.startswith(REASON)]
        if p < bar:
            reasons.append(reason(p))
        signals.append(s.model_copy(update={"needs_review": bool(reasons), "review_reasons": reasons}))
    return result.model_copy(update={"signals": signals})

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
        return [self.result(note, pred) for note, pred in zip(notes, predictions, strict=True)]

    def result(self, note: NoteInput, pred: Prediction) -> TriageResult:
        signal_type = Scored(
            label=pred.signal_type[0][0],
            confidence=round(pred.signal_type[0][1], 4),
            alternatives=[(label, round(p, 4)) for label, p in pred.signal_type[1:3]],
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
        label, conf = pred.gap[0]
        gap = Scored(
            label=label,
            confidence=round(conf, 4),
            alternatives=[(str(g), round(p, 4)) for g, p in pred.gap[1:4] if g is not None],
        )
        drafts = [self._draft(note.text, gap, signal_type, deal, pred)]
        for extra, p in pred.more_gaps:
            drafts.append(self._draft(note.text, Scored(label=extra, confidence=round(p, 4)), signal_type, deal, pred))
        return TriageResult(
            note=note,
            note_hash=content_hash(note.text),
            signals=drafts,
            customer_candidates=[] if note.customer else pred.customer_candidates,
        )

    def link_accounts(
        self, results: Sequence[TriageResult], accounts: Sequence[str], industries: Mapping[str, str | None] = {}
    ) -> list[TriageResult]:
        """Each signal's customer, as written, replaced by the known account it names (if one is likely);
        a linked account's industry (`industries`, as the CRM gives it) replaces the one read from the note."""
        if not accounts:
            return list(results)
        linker = getattr(self.model, "linker", None)
        if linker is None or linker.model is None:
            linked = iter([canonical_customer(s.deal.customer, accounts) for r in results for s in r.signals])
        else:  # the written customer, then the note's other names for it; the whole batch at once
            names = [[n for n in (s.deal.customer, *r.customer_candidates) if n] for r in results for s in r.signals]
            found = linker.link_first(names, accounts)
            written = [s.deal.customer for r in results for s in r.signals]
            linked = iter([account or name for account, name in zip(found, written, strict=True)])
        out = []
        for result in results:
            signals = []
            for s in result.signals:
                customer = next(linked)
                update: dict[str, str | None] = {"customer": customer}
                if customer is not None and industries.get(customer):
                    update["industry"] = industries[customer]
                signals.append(s.model_copy(update={"deal": s.deal.model_copy(update=update)}))
            out.append(result.model_copy(update={"signals": signals}))
        return out

    def _draft(self, text: str, gap: Scored, signal_type: Scored, deal: DealFields, pred: Prediction) -> SignalDraft:
        known = self.taxonomy.gap_by_slug.get(gap.label or "")
        reasons = review_reasons(signal_type, gap, self.review_threshold)
        excerpt = _excerpt(text, gap.label, pred)
        return SignalDraft(
            signal_type=signal_type,
            gap=gap,
            category=Scored(label=known.category if known else None, confidence=gap.confidence),
            new_gap_label=_label(excerpt) if gap.label == NEW_GAP else None,
            excerpt=excerpt[:EXCERPT_CHARS],
            deal=deal,
            use_case_blocked=known.use_case_blocked if known else None,
            needs_review=bool(reasons),
            review_reasons=reasons,
        )


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


def _excerpt(text: str, gap: str | None, pred: Prediction) -> str:
    """The segment that carries the gap best (the whole note when it is short)."""
    if len(text) <= EXCERPT_CHARS or not pred.segment_gap:
        return text.strip()
    matching = [s for s in pred.segment_gap if s[2] == gap] or pred.segment_gap
    start, end, _, _ = max(matching, key=lambda s: s[3])
    return text[start:end].strip()


def _label(excerpt: str) -> str:
    words = re.sub(r"[^\w\s/'$.,-]", " ", excerpt).split()
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

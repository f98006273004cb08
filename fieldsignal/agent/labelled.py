"""Labelled rows to signal drafts: the labels are taken as given, only checked against the taxonomy."""

from __future__ import annotations

import re

from fieldsignal.errors import InputError, TaxonomyError
from fieldsignal.ingest.labelled import LabelledRow
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import LOSS, DealFields, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy

EXCERPT_CHARS = 400


def _known(taxonomy: Taxonomy, kind: str, value: str | None) -> str | None:
    """The taxonomy's spelling of an industry or archetype; None when it has none such."""
    try:
        return taxonomy.resolve(kind, value)
    except TaxonomyError:
        return None


def result_from_labels(row: LabelledRow, taxonomy: Taxonomy, number: int) -> TriageResult:
    try:
        kind = taxonomy.resolve("signal type", row.signal_type or "Product Gap") or "Product Gap"
    except TaxonomyError:
        raise InputError(f"row {row.id or number}: unknown signal type {row.signal_type!r}") from None
    industry = _known(taxonomy, "industry", row.industry)
    archetype = _known(taxonomy, "archetype", row.archetype)
    lost = row.lost_deal if row.lost_deal is not None else kind == LOSS
    deal = DealFields(
        customer=row.customer,
        industry=industry,
        archetype=archetype,
        competitor=row.competitor,
        lost_deal=lost,
        acv_usd=row.acv_usd,
        date=row.date,
        author=row.author,
    )
    listed: list[str | None] = list(row.gaps) if row.gaps else [row.gap]
    named: list[str | None] = [g for g in listed if g is not None and g.strip()]
    gaps = named or [None]
    drafts = [_draft(kind, gap, row, taxonomy, deal) for gap in gaps]
    # "labeled" as stored by earlier versions: the source and the hash stay as they were, so re-importing adds nothing
    note = NoteInput(text=row.text, source=row.source or "labeled", author=row.author, date=row.date)
    return TriageResult(note=note, note_hash=content_hash(f"{row.text}\x00labeled:{row.id or number}"), signals=drafts)


def _draft(kind: str, gap: str | None, row: LabelledRow, taxonomy: Taxonomy, deal: DealFields) -> SignalDraft:
    known = taxonomy.resolve_gap(gap) if gap else None
    proposal = None
    if gap and known is None:  # "NEW: offline mode", or a gap this taxonomy does not know
        proposal = re.sub(r"^new:\s*", "", gap, flags=re.I).strip() or gap
    category = known.category if known else row.category
    one = Scored(label=None, confidence=1.0)
    return SignalDraft(
        signal_type=Scored(label=kind, confidence=1.0),
        gap=one.model_copy(update={"label": known.slug if known else None}),
        category=one.model_copy(update={"label": category}),
        new_gap_label=proposal,
        excerpt=row.text[:EXCERPT_CHARS],
        deal=deal,
        use_case_blocked=row.use_case_blocked or (known.use_case_blocked if known else None),
        decided_by="import",
    )

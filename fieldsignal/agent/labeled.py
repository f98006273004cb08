"""Labelled rows to signal drafts: the labels are taken as given, only checked against the taxonomy."""

from __future__ import annotations

import re

from fieldsignal.errors import InputError
from fieldsignal.ingest.labeled import LabeledRow
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import DealFields, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy

EXCERPT_CHARS = 400


def _norm(value: str) -> str:
    return re.sub(r"[\s_\-]+", " ", value).strip().lower()


def result_from_labels(row: LabeledRow, taxonomy: Taxonomy, number: int) -> TriageResult:
    types = {_norm(t.name): t.name for t in taxonomy.signal_types}
    kind = types.get(_norm(row.signal_type or "product gap"))
    if kind is None:
        raise InputError(f"row {row.id or number}: unknown signal type {row.signal_type!r}")
    industries = {_norm(i.code): i.code for i in taxonomy.industries}
    industry = industries.get(_norm(row.industry)) if row.industry else None
    archetype = next((a.name for a in taxonomy.archetypes if _norm(a.name) == _norm(row.archetype or "")), None)
    lost = row.lost_deal if row.lost_deal is not None else kind == "Loss"
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
    note = NoteInput(text=row.text, source=row.source or "labeled", author=row.author, date=row.date)
    return TriageResult(note=note, note_hash=content_hash(f"{row.text}\x00labeled:{row.id or number}"), signals=drafts)


def _draft(kind: str, gap: str | None, row: LabeledRow, taxonomy: Taxonomy, deal: DealFields) -> SignalDraft:
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

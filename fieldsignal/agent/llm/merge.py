"""Merge a validated LLM answer into the offline triage result of the same note.

The answer can only describe its own note: it replaces that note's signal types and gaps,
and fills deal fields the offline extractor left empty or the model reads differently.
Everything else (note, hash, dates, author, excerpts that are not in the note) stays.
"""

from __future__ import annotations

from typing import Any

from fieldsignal.agent.triage import EXCERPT_CHARS
from fieldsignal.models import NEW_GAP, DealFields, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy

AGREE = 0.95  # confidence when the model and the offline classifier agree
DISAGREE = 0.75  # the model's word against the offline classifier's


def merge(result: TriageResult, answer: dict[str, Any], taxonomy: Taxonomy, model: str, prompt_id: str) -> TriageResult:
    offline = result.signals
    deal = _deal(offline[0].deal, answer.get("deal") or {})
    drafts = []
    for index, item in enumerate(answer["signals"]):
        before = offline[index] if index < len(offline) else offline[0]
        drafts.append(_draft(before, item, deal, result.note.text, taxonomy, model, prompt_id))
    return result.model_copy(update={"signals": drafts})


def _deal(offline: DealFields, answer: dict[str, Any]) -> DealFields:
    update: dict[str, Any] = {}
    for key in ("customer", "industry", "archetype", "competitor", "acv_usd"):
        value = answer.get(key)
        if value is None or (isinstance(value, str) and "<" in value):  # an unrestored placeholder
            continue
        update[key] = value
    return offline.model_copy(update=update)


def _draft(
    before: SignalDraft,
    item: dict[str, Any],
    deal: DealFields,
    text: str,
    taxonomy: Taxonomy,
    model: str,
    prompt_id: str,
) -> SignalDraft:
    signal_type = item["signal_type"]
    gap = item.get("gap")
    known = taxonomy.gap_by_slug.get(gap or "")
    reasons = []
    if gap == NEW_GAP:
        reasons.append("proposes a new gap")
    offline_sure = min(before.gap.confidence, before.signal_type.confidence) >= 0.9
    if offline_sure and (before.gap.label, before.signal_type.label) != (gap, signal_type):
        reasons.append("the LLM and the offline classifier disagree")
    evidence = item.get("evidence") or ""
    excerpt = evidence if evidence and evidence in text else before.excerpt
    return SignalDraft(
        signal_type=_scored(signal_type, before.signal_type),
        gap=_scored(gap, before.gap),
        category=Scored(label=known.category if known else None, confidence=_conf(gap, before.gap)),
        new_gap_label=(item.get("new_gap_label") or before.new_gap_label) if gap == NEW_GAP else None,
        excerpt=excerpt[:EXCERPT_CHARS],
        deal=deal.model_copy(update={"lost_deal": signal_type == "Loss"}),
        use_case_blocked=known.use_case_blocked if known else None,
        needs_review=bool(reasons),
        review_reasons=reasons,
        decided_by="llm",
        llm_model=model,
        prompt_id=prompt_id,
    )


def _conf(label: str | None, before: Scored) -> float:
    return AGREE if label == before.label else DISAGREE


def _scored(label: str | None, before: Scored) -> Scored:
    alternatives = [(str(before.label), before.confidence)] if before.label != label and before.label else []
    return Scored(label=label, confidence=_conf(label, before), alternatives=alternatives)

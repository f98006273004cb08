"""Merge a validated LLM answer into the offline triage result of the same note.

The answer can only describe its own note: it replaces that note's signal types and gaps,
and fills deal fields the offline extractor left empty or the model reads differently.
Everything else (note, hash, dates, author, excerpts that are not in the note) stays.
"""

from __future__ import annotations

from typing import Any

from fieldsignal.models import NEW_GAP, DealFields, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.pipeline import EXCERPT_CHARS

AGREE = 0.95  # confidence when the model and the offline classifier agree
DISAGREE = 0.75  # the model's word against the offline classifier's


def merge(result: TriageResult, answer: dict[str, Any], taxonomy: Taxonomy, model: str, prompt_id: str) -> TriageResult:
    offline = result.signals
    deal, doubts = _deal(offline[0].deal, answer.get("deal") or {}, result.note.text)
    drafts = []
    for index, item in enumerate(answer["signals"]):
        before = offline[index] if index < len(offline) else offline[0]
        drafts.append(_draft(before, item, deal, result.note.text, taxonomy, model, prompt_id, doubts))
    return result.model_copy(update={"signals": drafts})


def _deal(offline: DealFields, answer: dict[str, Any], text: str) -> tuple[DealFields, list[str]]:
    """The deal fields with the model's reading, and why a person should look (facts it contradicts).

    A figure or a customer the note does not contain is never stored: the offline value stays and
    the signal goes to review with both values. A figure or customer the note does contain, but that
    differs from the offline reading, is taken and also goes to review with both values.
    """
    update: dict[str, Any] = {}
    doubts: list[str] = []
    for key in ("customer", "industry", "archetype", "competitor", "acv_usd"):
        value = answer.get(key)
        if value is None or (isinstance(value, str) and "<" in value):  # an unrestored placeholder
            continue
        before = getattr(offline, key)
        if key == "acv_usd":
            if not _figure_in(int(value), text):
                doubts.append(f"the LLM gave ACV {usd(int(value))}, a figure not in the note (kept {usd(before)})")
                continue
            if before is not None and int(value) != before:
                doubts.append(f"ACV: the LLM read {usd(int(value))}, the offline reading {usd(before)}")
        elif key == "customer":
            if str(value).casefold() not in text.casefold():
                doubts.append(f"the LLM named customer {value!r}, who is not in the note (kept {before!r})")
                continue
            if before and str(value).casefold() != str(before).casefold():
                doubts.append(f"customer: the LLM read {value!r}, the offline reading {before!r}")
        update[key] = value
    return offline.model_copy(update=update), doubts


def _figure_in(value: int, text: str) -> bool:
    """Is this annual figure one the note states as money (as written, or as its annual value)? A bare number
    ("acv_usd 99000000" in an injected line) does not vouch for a model's figure."""
    from fieldsignal.triage.usd_amounts import amounts

    return any(a.marked and abs(a.usd - value) <= max(1, 0.01 * value) for a in amounts(text))


def usd(value: int | None) -> str:
    return f"${value:,}" if value is not None else "none"


def _draft(
    before: SignalDraft,
    item: dict[str, Any],
    deal: DealFields,
    text: str,
    taxonomy: Taxonomy,
    model: str,
    prompt_id: str,
    doubts: list[str],
) -> SignalDraft:
    signal_type = item["signal_type"]
    gap = item.get("gap")
    known = taxonomy.gap_by_slug.get(gap or "")
    reasons = list(doubts)
    if gap == NEW_GAP:
        reasons.append("proposes a new gap")
    if signal_type != before.signal_type.label:
        reasons.append(f"type: the LLM read {signal_type}, the offline classifier {before.signal_type.label}")
    offline_sure = before.gap.confidence >= 0.9
    if offline_sure and before.gap.label != gap:
        reasons.append("the LLM and the offline classifier disagree on the gap")
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

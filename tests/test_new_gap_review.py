"""A proposed new gap is queued for review with the known gap nearest in meaning (the index's gap catalog)."""

from __future__ import annotations

from fieldsignal.ingest import note_from_text
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import NEW_GAP, DealFields, Scored, SignalDraft, TriageResult
from fieldsignal.workspace import Workspace
from fieldsignal.workspace_save import nearest_known_gaps


def proposal(text: str) -> TriageResult:
    draft = SignalDraft(
        signal_type=Scored(label="Product Gap", confidence=0.9),
        gap=Scored(label=NEW_GAP, confidence=0.9),
        category=Scored(label=None, confidence=0.9),
        excerpt=text,
        deal=DealFields(customer="Quasar Labs"),
        needs_review=True,
        review_reasons=["proposes a new gap"],
        new_gap_label=text[:40],
    )
    note = note_from_text(f"Quasar Labs: {text}", source="test")
    return TriageResult(note=note, note_hash=content_hash(note.text), signals=[draft])


def test_a_new_gap_proposal_is_queued_with_the_nearest_known_gap(fast_ws: Workspace) -> None:
    assert fast_ws.index.count("gaps") == 0  # open, and its catalog of the taxonomy's gap texts not yet filled
    gap = fast_ws.taxonomy.gaps[3]
    result = proposal(gap.description)  # a "new" gap that the catalog already describes
    saved = fast_ws.capture.writer.save([result])
    assert saved.ids
    queued = {signal.id: reasons for signal, reasons in fast_ws.review_queue()}
    reasons = queued[saved.ids[0]]
    assert "proposes a new gap" in reasons and f"nearest known gap: {gap.name} (1.00)" in reasons
    assert fast_ws.index.count("gaps") == sum(len(texts) for texts in fast_ws.taxonomy.gap_texts().values())


def test_without_an_open_index_the_proposal_is_left_as_triaged(fast_ws: Workspace) -> None:
    result = proposal("the app proxy drops websocket connections")
    vectors = fast_ws.embedder.encode([result.signals[0].excerpt])
    assert nearest_known_gaps(None, fast_ws.taxonomy, [result], vectors) == [result]

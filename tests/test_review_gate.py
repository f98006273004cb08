"""The review gate: which triaged notes are accepted unseen, learnt from the triage's own mistakes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fieldsignal.models import DealFields, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.gate import BUDGET, REASON, Gate, Link, ReviewGate, choose_bar, features, fit_gate
from fieldsignal.triage.gate_training import LINKED_FIELDS, READ_FIELDS, right_in_every_field
from fieldsignal.triage.pipeline import LearnedTriage


def test_the_bar_is_the_lowest_that_keeps_the_accepted_right_often_enough() -> None:
    p = np.asarray([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    right = np.asarray([0, 0, 1, 0, 1, 1, 1, 1, 1, 1], dtype=bool)
    queued = np.zeros(10, dtype=bool)
    # from 0.4 up, 6 of 7 accepted are right; from 0.5 up, all 6: 40 % to review, within a budget of 50 %
    assert choose_bar(p, right, queued, target=0.95, budget=0.5) == (0.5, pytest.approx(0.4), 1.0)
    assert choose_bar(p, right, queued, target=0.8, budget=0.5) == (0.3, pytest.approx(0.2), pytest.approx(7 / 8))
    # the budget caps the bar: at most 30 % to review, however wrong the rest is
    assert choose_bar(p, right, queued, target=0.95, budget=0.3) == (0.4, pytest.approx(0.3), pytest.approx(6 / 7))


def test_notes_the_threshold_sends_to_review_count_against_the_budget() -> None:
    p = np.asarray([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    right = np.asarray([0, 0, 1, 0, 1, 1, 1, 1, 1, 1], dtype=bool)
    queued = np.asarray([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)  # already in review: 30 %
    assert choose_bar(p, right, queued, target=0.95, budget=0.5) == (0.5, pytest.approx(0.4), 1.0)
    everything = np.ones(10, dtype=bool)  # the threshold alone is over budget: the gate adds nothing
    assert choose_bar(p, right, everything, target=0.95, budget=0.25)[0] == 0.0


def test_a_fitted_gate_is_sure_where_its_training_notes_were_right() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(900, 3))
    right = x[:, 0] + 0.3 * rng.normal(size=900) > -1.3  # right (nine in ten) when the first confidence is high
    groups = np.asarray([f"w{i % 6}" for i in range(900)], dtype=object)
    gate = fit_gate(x, right, np.zeros(900, dtype=bool), groups)
    assert gate is not None
    low, high = gate.p_right(np.asarray([[-2.0, 0, 0], [2.0, 0, 0]]))
    assert low < 0.2 < 0.9 < high
    assert gate.accepted_right >= 0.95 and gate.review_share <= BUDGET
    # what the bar lets through is right as often as the gate says, on fresh notes
    fresh = rng.normal(size=(3000, 3))
    truth = fresh[:, 0] + 0.3 * rng.normal(size=3000) > -1.3
    accepted = gate.p_right(fresh) >= gate.bar
    assert truth[accepted].mean() >= 0.94 and 1 - accepted.mean() <= BUDGET + 0.03
    # too few writers to hold any out: no gate
    assert fit_gate(x, right, np.zeros(900, dtype=bool), np.asarray(["a", "b"] * 450, dtype=object)) is None


def test_the_gate_learns_that_some_types_have_more_fields_to_get_wrong() -> None:
    rng = np.random.default_rng(1)
    sure = rng.uniform(size=1200)
    lost = rng.uniform(size=1200) < 0.4  # a lost deal: a competitor and an amount to get wrong too
    right = np.where(lost, rng.uniform(size=1200) < sure, rng.uniform(size=1200) < 0.97)
    x = np.stack([sure, ~lost, lost], axis=1).astype(float)  # a confidence, then the one-hot type
    groups = np.asarray([f"w{i % 6}" for i in range(1200)], dtype=object)
    gate = fit_gate(x, right, np.zeros(1200, dtype=bool), groups, ("Product Gap", "Loss"))
    assert gate is not None and gate.types == ("Product Gap", "Loss")
    gap_note, lost_note = gate.p_right(np.asarray([[0.3, 1.0, 0.0], [0.3, 0.0, 1.0]]))
    assert lost_note < 0.5 < 0.9 < gap_note


def _draft(gap: str | None = "no-firewall", **deal: object) -> SignalDraft:
    return SignalDraft(
        signal_type=Scored(label="Product Gap", confidence=0.9, alternatives=[("Loss", 0.05)]),
        gap=Scored(label=gap, confidence=0.9),
        category=Scored(label="Security", confidence=0.9),
        excerpt="x",
        deal=DealFields(**({"customer": "tidewater"} | deal)),  # type: ignore[arg-type]
    )


def _result(*drafts: SignalDraft) -> TriageResult:
    return TriageResult(
        note=NoteInput(text="t"), note_hash="h", signals=list(drafts), field_confidence={"customer": 0.8}
    )


class _Even:
    """p = 0.5 for every note of the width it was made for: the bar decides."""

    def __init__(self, width: int) -> None:
        self.width = width

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        assert x.shape[1] == self.width
        return np.full((len(x), 2), 0.5)


def _gate(bar: float, width: int) -> Gate:
    return Gate(_Even(width), ("Product Gap", "Loss"), bar, 0.1, 0.95)


def test_the_gate_queues_a_note_it_doubts_and_the_linked_gate_has_the_last_word() -> None:
    types = ("Product Gap", "Loss")
    width = len(features(_result(_draft()), None, types))
    linked_width = len(features(_result(_draft()), Link("Tidewater Logistics", 0.9, 0.1), types))
    assert linked_width == width + 3
    assert features(_result(_draft()), None, types)[-2:].tolist() == [1.0, 0.0]  # which type the note has
    gate = ReviewGate(read=_gate(0.6, width), linked=_gate(0.4, linked_width))
    linker = SimpleNamespace(
        model=object(), link_scored=lambda names, accounts: [("Tidewater Logistics", 0.9, 0.1)] * len(names)
    )
    triage = LearnedTriage(load_taxonomy(), None, SimpleNamespace(gate=gate, linker=linker))  # type: ignore[arg-type]
    llm = _draft().model_copy(update={"decided_by": "llm"})
    (read,) = triage.gated([_result(_draft(), llm)])
    offline, assisted = read.signals
    assert offline.needs_review and offline.review_reasons == [f"{REASON} (all right: 0.50)"]
    assert not assisted.needs_review  # what an LLM decided keeps its own reasons
    (linked,) = triage.link_accounts([read], ["Tidewater Logistics"], {"Tidewater Logistics": "Logistics"})
    first = linked.signals[0]
    assert first.deal.customer == "Tidewater Logistics" and first.deal.industry == "Logistics"
    assert not first.needs_review and first.review_reasons == []  # the linked note passes its bar
    # other reasons stay when the gate lets a note through
    new_gap = _draft().model_copy(update={"needs_review": True, "review_reasons": ["proposes a new gap"]})
    (kept,) = triage.link_accounts([_result(new_gap)], ["Tidewater Logistics"])
    assert kept.signals[0].needs_review and kept.signals[0].review_reasons == ["proposes a new gap"]


def test_right_in_every_field_judges_what_a_reviewer_would_fix() -> None:
    labels = {
        "signal_type": "Product Gap", "gap": "no-custom-domains", "gaps": ["no-custom-domains", "no-firewall"],
        "customer": "Tidewater Logistics Inc.", "competitor": None, "acv_usd": None, "industry": None,
    }  # fmt: skip
    two = _result(_draft(), _draft("no-custom-domains"))
    assert right_in_every_field(two, labels, READ_FIELDS)  # a two-gap note: either gap first is right
    assert not right_in_every_field(two, labels, LINKED_FIELDS)  # "tidewater" is not the account's name
    linked = _result(_draft(customer="Tidewater Logistics"))
    assert right_in_every_field(linked, labels, LINKED_FIELDS)  # names compared without "Inc."
    assert not right_in_every_field(linked, labels | {"acv_usd": 120_000}, LINKED_FIELDS)
    assert not right_in_every_field(_result(_draft("no-sso")), labels, READ_FIELDS)
    assert right_in_every_field(linked, {"signal_type": "product_gap"}, LINKED_FIELDS)  # unlabelled: not judged

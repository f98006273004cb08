"""Extraction rules learnt from the dev set's failure modes, pinned on fresh sentences."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fieldsignal.agent.extract import Extractor
from fieldsignal.agent.head import LinearHead
from fieldsignal.agent.money import parse_acv
from fieldsignal.ingest.tables import leading_date
from fieldsignal.models import NoteInput
from fieldsignal.taxonomy import load_taxonomy

X = Extractor(load_taxonomy())


def deal(text: str, known: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return X.extract(NoteInput(text=text), known)


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("marlowe textiles wants the app on their own hostname", "Marlowe Textiles"),
        ("Pendle Credit Union marketing: brand review failed on the URL", "Pendle Credit Union"),
        ("Orsino Bank DS lead: endpoint auth took weeks", "Orsino Bank"),
        ("Call notes – Quayside Logistics\n* wants replicas", "Quayside Logistics"),
        ("fwd from Jo: Tansy Mutual again wants a WAF", "Tansy Mutual"),
        ("anyone else hearing this? nothing specific, just a general gripe about idle billing", None),
        ("tolland aerospace infosec team wants a WAF", "Tolland Aerospace"),
        ("cresswell bank appsec - pen test questions again", "Cresswell Bank"),
    ],
)
def test_customer_from_a_notes_opening(text: str, customer: str | None) -> None:
    assert deal(text).customer == customer


def test_a_short_name_expands_to_the_one_known_customer() -> None:
    assert deal("quayside: still no replicas", known=("Quayside Logistics", "Orsino Bank")).customer == (
        "Quayside Logistics"
    )


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("Tansy Mutual asked about a WAF", "FSI"),
        ("Wrenfield Clinics want usage logs", "HLS"),
        ("Corbel Steel: app slow at shift change", "MFG"),
        ("Halyard Freight: app slow at 8am", "Other"),
    ],
)
def test_industry_from_the_customers_name(text: str, industry: str) -> None:
    assert deal(text).industry == industry


def test_a_word_of_the_customers_name_is_no_competitor() -> None:
    assert deal("Ironbridge Foundry: plant app needs an IP allowlist").competitor is None
    assert deal("Sable Bank: app must write to their Oracle db").competitor is None
    assert deal("lost the claims app to Google Cloud, Cloud Run scaled out").competitor == "Google Cloud"


@pytest.mark.parametrize("text", ["pen testers sent 10k req/s at it", "2k shoppers at once on black friday"])
def test_counts_are_not_money(text: str) -> None:
    assert parse_acv(text) is None


def test_no_blocker_is_not_a_blocker_cue() -> None:
    assert X.signal_cues("nothing blocking so far, no blockers yet")["Product Gap"] == 0
    assert X.signal_cues("blocked by the missing WAF")["Product Gap"] >= 1


def test_text_file_dates_from_name_or_first_lines() -> None:
    assert leading_date("2026-10-01-call.md", "x") == dt.date(2026, 10, 1)
    assert leading_date("call.txt", "Call notes 2026-11-02\nbody") == dt.date(2026, 11, 2)
    assert leading_date("call.txt", "no date\nhere\nor here\n2026-01-01") is None


def test_linear_head_learns_separable_labels() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8, dtype=np.float32)
    vectors = np.vstack([c + 0.1 * rng.standard_normal((10, 8)) for c in centres]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owner = np.repeat(np.arange(3), 10)
    head = LinearHead.fit(vectors, owner, 3)
    assert head is not None
    assert (head.proba(vectors).argmax(axis=1) == owner).mean() == 1.0
    assert LinearHead.fit(vectors[:5], owner[:5], 3) is None  # one label only: nothing to learn


@pytest.mark.parametrize(
    ("text", "win_cues"),
    [
        ("signed! the portal goes live next week", 1),
        ("infosec: no WAF, no go-live", 0),
        ("they need an SBOM before go-live", 0),
        ("the network policy is holding up go-live", 0),
        ("legal won't sign until the DPA is fixed", 0),
        ("Harmon Bank (March renewal) wants the pen test letter first", 0),  # a renewal to come
        ("renewal signed: Apps for every BU", 1),
        ("they renewed for three years", 1),
    ],
)
def test_a_cue_that_did_not_happen_does_not_count(text: str, win_cues: int) -> None:
    assert X.signal_cues(text).get("Win", 0) == win_cues


def test_new_gap_labels_carry_no_emoji_and_read_shorthand() -> None:
    from fieldsignal.agent.triage import new_gap_label

    assert new_gap_label("Tarn Mills 😩 reps w/o signal in the plant, app dead. +1 for offline") == (
        "w/o signal in the plant"
    )
    assert "🙃" not in new_gap_label("🙃 they keep asking for dark mode")


def test_keywords_read_note_shorthand() -> None:
    from fieldsignal.agent.classify import GapClassifier, Prototypes

    protos = Prototypes(["a", "b"], np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.int64))
    gaps = GapClassifier(protos, {"a": ["without accounts"], "b": ["with their cert"]}, None)
    assert gaps._keyword_hits("partners w/o accounts").tolist() == [1.0, 0.0]
    assert gaps._keyword_hits("on their domain w/ their cert").tolist() == [0.0, 1.0]


def test_notes_imported_together_share_their_customers() -> None:
    from fieldsignal.agent.triage import expand_batch_customers
    from fieldsignal.ingest.text import content_hash
    from fieldsignal.models import DealFields, Scored, SignalDraft, TriageResult

    def result(text: str, customer: str) -> TriageResult:
        one = Scored(label=None, confidence=1.0)
        draft = SignalDraft(signal_type=one, gap=one, category=one, excerpt=text, deal=DealFields(customer=customer))
        return TriageResult(note=NoteInput(text=text), note_hash=content_hash(text), signals=[draft])

    batch = [
        result("fairway: still no custom domain", "Fairway"),
        result("Fairway Mutual asks again", "Fairway Mutual"),
    ]
    first, second = expand_batch_customers(batch, (), X)
    assert first.signals[0].deal.customer == "Fairway Mutual" and first.signals[0].deal.industry == "FSI"
    assert second.signals[0].deal.customer == "Fairway Mutual"
    lone = expand_batch_customers([result("acme: hi", "Acme")], ("Acme Bank", "Acme Foods"), X)
    assert lone[0].signals[0].deal.customer == "Acme"  # two candidates: left as written

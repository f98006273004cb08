"""Integration: the real local model, a real DuckDB file and real Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldsignal.ingest import note_from_text, read_paths
from fieldsignal.workspace import Workspace
from tests.conftest import TUNE_ENCODER

pytestmark = pytest.mark.model
# Measured on data/eval/test.jsonl 2026-12-02 (type macro-F1 0.73, gap 0.86, customer 0.76,
# competitor 1.00, ACV 0.97), less a margin: regression floors, not targets.
FLOORS = {"type_macro_f1": 0.65, "gap": 0.78, "customer": 0.66, "competitor": 0.9, "acv": 0.9}
SAMPLES = Path(__file__).resolve().parents[1] / "fieldsignal" / "data" / "samples"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from fieldsignal.settings import load_settings

    return Workspace(load_settings(env={}, home=tmp_path_factory.mktemp("model") / "ws", tune_encoder=TUNE_ENCODER))


def test_the_real_model_triages_notes_it_never_saw(ws: Workspace) -> None:
    """The held-out test set (written apart from the corpus, never trained on): floors well under what
    `fieldsignal eval` measures, so a broken encoder, head or tagger fails here, not in a user's log."""
    from fieldsignal.eval.runner import run_eval

    data = Path(__file__).resolve().parents[1] / "data" / "eval" / "test.jsonl"
    report = run_eval(data, ws.settings, ws.taxonomy)
    assert report["signal_type"]["macro_f1"] >= FLOORS["type_macro_f1"], report["signal_type"]
    assert report["gap"]["accuracy"] >= FLOORS["gap"], report["gap"]
    assert report["customer"]["accuracy"] >= FLOORS["customer"], report["customer"]
    assert report["competitor"]["accuracy"] >= FLOORS["competitor"], report["competitor"]
    assert report["acv_usd"]["accuracy"] >= FLOORS["acv"], report["acv_usd"]


def test_good_news_names_a_gap_only_when_it_states_a_limitation(ws: Workspace) -> None:
    plain = "Signed!! Larchmont Credit Union went live with the branch scheduling app, $120k, on their own URL"
    caveat = (
        "Larchmont Credit Union signed, $120k. Still annoyed that each app bills around the clock "
        "even when idle, they cannot scale it to zero"
    )
    results = ws.triage.triage([note_from_text(plain), note_from_text(caveat)])
    first, second = (r.signals[0] for r in results)
    assert first.signal_type.label == "Win" and first.gap.label is None, first
    assert second.gap.label == "fixed-24x7-pricing", second  # a win with a caveat keeps its gap


def test_reimport_is_a_no_op_and_reindex_rebuilds_chroma(ws: Workspace) -> None:
    items = list(read_paths([SAMPLES]))
    first = ws.add_notes(items)
    assert first.notes_added >= 60 and not first.failures
    again = ws.add_notes(list(read_paths([SAMPLES])))
    assert again.notes_added == 0 and again.notes_skipped_duplicate == again.notes_seen
    total = len(ws.list_signals())
    counts = ws.reindex()
    assert counts["signals"] == total
    assert ws.index.count("signals") == total
    assert ws.index.count("gaps") == counts["gap_examples"]
    assert counts["notes"] == ws.index.count("notes") == first.notes_added  # every note's whole-note vector
    vector = ws.embedder.encode(["customer wants a WAF in front of the app"])[0]
    hits = ws.index.query("gaps", vector, 3)
    assert hits[0].metadata["gap"] == "no-firewall"


def test_embeddings_are_cached_in_the_store(ws: Workspace) -> None:
    """A second process reuses stored vectors: the taxonomy is not re-embedded."""
    ws.reindex()  # stores the taxonomy's gap texts' vectors (whichever test of the module ran before)
    fresh = Workspace(ws.settings)
    fresh.reindex()  # embeds the taxonomy's gap texts for the index: from the stored vectors
    assert fresh.embedder.computed == 0


def test_the_same_words_about_another_customer_are_another_signal(ws: Workspace, tmp_path: Path) -> None:
    from fieldsignal.ingest import note_from_text as n

    ws = Workspace(ws.settings.model_copy(update={"home": tmp_path / "own"}))  # its notes stay out of the others'
    first = ws.add_notes([n("Quill Insurance: security wants a WAF with IP allow-listing in front of the app")])
    other = ws.add_notes([n("Pellow Retail's security wants a WAF with IP allow-listing in front of the app")])
    assert first.signal_ids and other.signal_ids
    # however alike the two notes read, two customers named apart are never merged by the scorer alone
    assert all(ws.show(c)["signal"].duplicate_of is None for c in other.signal_ids)
    assert other.duplicates_linked == 0


def test_a_second_report_is_linked_and_counted_once(ws: Workspace) -> None:
    from fieldsignal.ingest import note_from_text as n

    first = ws.add_notes(
        [n("Marlow Mutual: security wants a WAF with IP allow-listing in front of the app, $300k", author="ana")]
    )
    again = ws.add_notes(
        [
            n(
                "fyi Marlow Mutual infosec again, nothing gets exposed without web firewall + ip allowlist in front",
                author="raj",
            )
        ]
    )
    links = [ws.show(b)["signal"].duplicate_of for b in again.signal_ids]
    assert first.signal_ids[0] in links  # the second report of the WAF blocker is linked to the first
    assert all(link in first.signal_ids for link in links if link is not None)
    assert again.duplicates_linked == sum(link is not None for link in links)
    rows = {r.key: r for r in ws.tally("customer").rows}
    unlinked = len(again.signal_ids) - again.duplicates_linked
    assert rows["Marlow Mutual"].signals == len(first.signal_ids) + unlinked  # a second report counts once
    assert rows["Marlow Mutual"].acv_usd == 300_000


def test_a_fix_on_one_note_changes_how_a_similar_note_is_classified(tmp_path: Path) -> None:
    from fieldsignal.settings import load_settings
    from fieldsignal.store.review import Fix

    ws = Workspace(load_settings(env={}, home=tmp_path / "learn", tune_encoder=TUNE_ENCODER))
    # in-house jargon the taxonomy cannot know: "Blue Zone" is one customer family's network policy
    a = "Gannet Air: their Blue Zone policy means the claims app cannot go live yet"
    b = "Tern Rail, same story, the Blue Zone policy is holding up go-live of the app"
    target = "no-ingress-egress-controls"
    probe = ws.triage.triage([note_from_text(b)])[0].signals[0].gap.label
    assert probe != target, "pick a pair the taxonomy alone gets wrong, or the test shows nothing"
    (sid,) = ws.add_notes([note_from_text(a)]).signal_ids
    ws.review(sid, "ana", Fix(gap=target))
    (after,) = ws.add_notes([note_from_text(b)]).signal_ids
    assert ws.show(after)["signal"].gap == target

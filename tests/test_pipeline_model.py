"""Integration: the real local model, a real DuckDB file and real Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldsignal.ingest import note_from_text, read_paths
from fieldsignal.workspace import Workspace

pytestmark = pytest.mark.model
SAMPLES = Path(__file__).resolve().parents[1] / "fieldsignal" / "data" / "samples"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from fieldsignal.settings import load_settings

    return Workspace(load_settings(env={}, home=tmp_path_factory.mktemp("model") / "ws"))


def test_clear_notes_get_the_right_gap_and_type(ws: Workspace) -> None:
    cases = {
        "Orbis Freight: drivers have to open the app from their phones without any company login": (
            "public-urls-without-login",
            "Product Gap",
        ),
        "bank's infosec wants a WAF + IP allowlisting in front of the app before anything is exposed": (
            "no-firewall",
            None,
        ),
        "Closed lost at Kestrel Retail ($400k): the app bill runs all night even when no one uses it, "
        "they went with Vercel": ("fixed-24x7-pricing", "Loss"),
        "They insist the app lives on insights.pinebrook.com, not a databricks.com address": (
            "no-custom-domains",
            None,
        ),
    }
    report = ws.add_notes([note_from_text(t) for t in cases])
    assert report.notes_added == len(cases)
    got = {s.excerpt: s for s in ws.list_signals()}
    for text, (gap, kind) in cases.items():
        signal = next(s for excerpt, s in got.items() if excerpt in text or text in excerpt)
        assert signal.gap == gap, (text, signal.gap)
        if kind:
            assert signal.signal_type == kind, (text, signal.signal_type)
    loss = next(s for s in got.values() if s.signal_type == "Loss")
    assert (loss.lost_deal, loss.acv_usd, loss.competitor) == (True, 400_000, "Vercel")


def test_a_note_with_two_gaps_becomes_two_signals_on_one_note(ws: Workspace) -> None:
    text = (
        "Sync with Tidewater Insurance today. First, their security team will not sign off until they can put "
        "a web application firewall with IP allow-listing in front of the app. Second, the claims portal has "
        "to run on claims.tidewater.com with their own certificate, not our workspace URL."
    )
    report = ws.add_notes([note_from_text(text)])
    signals = [ws.show(i)["signal"] for i in report.signal_ids]
    assert {s.gap for s in signals} == {"no-firewall", "no-custom-domains"}
    assert len({s.note_id for s in signals}) == 1
    assert all(s.customer == "Tidewater Insurance" for s in signals)


def test_unknown_limitation_is_proposed_as_a_new_gap(ws: Workspace) -> None:
    report = ws.add_notes(
        [
            note_from_text(
                "Quasar Labs: their trading UI streams prices over websockets and the app proxy drops the "
                "connection, so no live updates at all"
            )
        ]
    )
    (signal,) = [ws.show(i)["signal"] for i in report.signal_ids]
    assert signal.gap is None and signal.new_gap_label, signal
    assert signal.needs_review


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
    vector = ws.embedder.encode(["customer wants a WAF in front of the app"])[0]
    hits = ws.index.query("gaps", vector, 3)
    assert hits[0].metadata["gap"] == "no-firewall"


def test_embeddings_are_cached_in_the_store(ws: Workspace) -> None:
    """A second process reuses stored vectors: the taxonomy is not re-embedded."""
    fresh = Workspace(ws.settings)
    fresh.triage  # noqa: B018 - builds the prototypes from the taxonomy texts
    assert fresh.embedder.computed == 0


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
    other = ws.add_notes([n("Pellow Retail's security wants a WAF with IP allow-listing in front of the app")])
    (a,), (b,), (c,) = first.signal_ids, again.signal_ids, other.signal_ids
    assert ws.show(b)["signal"].duplicate_of == a
    assert ws.show(c)["signal"].duplicate_of is None
    assert again.duplicates_linked == 1
    rows = {r.key: r for r in ws.tally("customer").rows}
    assert rows["Marlow Mutual"].signals == 1 and rows["Marlow Mutual"].acv_usd == 300_000


def test_a_fix_on_one_note_changes_how_a_similar_note_is_classified(tmp_path: Path) -> None:
    from fieldsignal.settings import load_settings
    from fieldsignal.store.review import Fix

    ws = Workspace(load_settings(env={}, home=tmp_path / "learn"))
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

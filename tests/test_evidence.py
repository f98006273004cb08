"""Which sentence a signal quotes: the learnt evidence selector, its marked data and its evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fieldsignal.eval.excerpts import notes_by_id
from fieldsignal.models import NEW_GAP, NoteInput
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.encoder import HashingTokenEncoder
from fieldsignal.triage.evidence import (
    EvidenceSelector,
    features,
    head_columns,
    marked_sentences,
    sentence_rows,
)
from fieldsignal.triage.heads import segment_spans
from fieldsignal.triage.model import Prediction
from fieldsignal.triage.pipeline import LearnedTriage
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
EVIDENCE = ROOT / "data" / "evidence"


def _notes(rng: np.random.Generator, count: int, axis: int, dim: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """Synthetic notes: sentence vectors are noise but for one sentence leaning along axis 0 and another along
    axis 1; the marked one is the one leaning along `axis`. The head columns are noise too."""
    out = []
    for _ in range(count):
        n = int(rng.integers(3, 9))
        segs = rng.normal(size=(n, dim)).astype(np.float32)
        leaning = rng.choice(n, size=2, replace=False)
        segs[leaning[0], 0] += 3.0
        segs[leaning[1], 1] += 3.0
        marked = np.zeros(n, dtype=bool)
        marked[leaning[axis]] = True
        sentences = sentence_rows("x" * (n * 50), [(i * 50, i * 50 + 40) for i in range(n)], segs)
        columns = head_columns(rng.uniform(size=(n, 2)))
        out.append((features(sentences, columns[:, 0, :], columns[:, 1, :]), marked))
    return out


def _hits(selector: EvidenceSelector, notes: list[tuple[np.ndarray, np.ndarray]]) -> float:
    return float(np.mean([marked[int(np.argmax(selector.scores(x)))] for x, marked in notes]))


def test_the_selector_picks_the_kind_of_sentence_people_marked() -> None:
    """Two sets of marks on alike notes (one kind of sentence marked, or another): each selector picks its own."""
    rng = np.random.default_rng(3)
    for axis in (0, 1):
        train, test, other = _notes(rng, 300, axis), _notes(rng, 200, axis), _notes(rng, 200, 1 - axis)
        learnt = EvidenceSelector().fit([x for x, _ in train], [m for _, m in train])
        assert learnt.fitted and _hits(learnt, test) >= 0.9 and _hits(learnt, other) <= 0.1
    nothing = np.zeros(len(train[0][1]), dtype=bool)
    assert not EvidenceSelector().fit([train[0][0]], [nothing]).fitted  # no marked sentence: nothing learnt


def test_head_columns_say_how_far_each_sentence_is_below_the_best() -> None:
    columns = head_columns(np.asarray([[0.2, 0.9], [0.8, 0.1], [0.5, 0.3]]))
    assert columns.shape == (3, 2, 4)
    assert np.allclose(columns[:, 0, 1], [-0.6, 0.0, -0.3], atol=1e-6)  # p below the best sentence
    assert columns[:, 0, 2].tolist() == [0.0, 1.0, 0.0] and columns[:, 1, 2].tolist() == [1.0, 0.0, 0.0]


def test_a_sentence_is_evidence_when_marked_spans_cover_half_of_it() -> None:
    spans = [(0, 10), (10, 30), (30, 40)]
    assert marked_sentences(spans, [(10, 30)]).tolist() == [False, True, False]
    assert marked_sentences(spans, [(20, 40)]).tolist() == [False, True, True]  # 10 of 20 characters: half
    assert marked_sentences(spans, [(21, 40)]).tolist() == [False, False, True]  # 9 of 20: less
    assert marked_sentences(spans, [(0, 4), (25, 35)]).tolist() == [False, False, True]


def test_each_signal_quotes_the_sentence_scored_best_for_its_gap() -> None:
    text = (
        "Tidewater Insurance, claims portal, call with the CIO and two architects on Tuesday about the pilot. "
        "Their security team wants a web application firewall in front of the app before anyone outside logs in. "
        "They also want the portal on claims.tidewater.com, not on the generated address we give every app today. "
        "Next call in two weeks, Priya sends the architecture deck and the pricing sheet before then."
    )
    spans = segment_spans(text)
    assert len(spans) == 4 and len(text) > 400
    scores = {
        "no-firewall": np.asarray([0.1, 2.0, 0.3, 0.0]),
        "no-custom-domains": np.asarray([0.2, 0.4, 1.5, 0.1]),
        None: np.asarray([0.9, 0.0, 0.0, 0.1]),
    }
    prediction = Prediction(
        signal_type=[("Product Gap", 0.9)], gap=[("no-firewall", 0.9)], more_gaps=[("no-custom-domains", 0.8)],
        industry=("FSI", 0.9), archetype=(None, 0.5), customer="Tidewater Insurance", competitor=None,
        acv_usd=None, segments=spans, evidence=scores,
    )  # fmt: skip
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), None, review_threshold=0.7)  # type: ignore[arg-type]
    firewall, domain = triage.result(NoteInput(text=text), prediction).signals
    assert firewall.excerpt.startswith("Their security team wants a web application firewall")
    assert domain.excerpt.startswith("They also want the portal on claims.tidewater.com")
    # a gap the selector has no column for (a promoted one) quotes the sentence best for any gap
    promoted = prediction.__class__(**{**vars(prediction), "gap": [(NEW_GAP, 0.9)], "more_gaps": []})
    promoted.evidence = {k: v for k, v in scores.items() if k is not None}
    (draft,) = triage.result(NoteInput(text=text), promoted).signals
    assert draft.excerpt.startswith("Their security team")


def _notes_by_id() -> dict[str, dict]:
    return notes_by_id(ROOT / "data" / "corpus" / n for n in ("corpus.jsonl", "heldout.jsonl", "heldout2.jsonl"))


def test_the_marked_evidence_lies_on_its_notes_sentences_and_held_out_writers_stay_out_of_training() -> None:
    notes = _notes_by_id()
    trained_on = {json.loads(line)["writer"] for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines()}
    files = sorted(EVIDENCE.glob("*.jsonl"))
    assert {f.name.split("-")[0] for f in files} == {"corpus", "heldout"}
    signals = 0
    for path in files:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            note = notes[row["id"]]
            assert row["writer"] == note["writer"]
            assert (note["writer"] in trained_on) == path.name.startswith("corpus-"), (path.name, row["id"])
            spans = segment_spans(note["text"])
            assert len(row["evidence"]) == len(note["gaps"] or [None])
            for signal in row["evidence"]:
                assert signal["spans"] == [list(spans[i]) for i in signal["sentences"]] and signal["spans"]
                signals += 1
    assert signals >= 1000


@pytest.mark.usefixtures("triage_model_on_the_hashing_encoder")
def test_eval_scores_which_sentence_each_excerpt_quotes(tmp_path: Path) -> None:
    """`eval --evidence`: the corpus model (hashing encoder) learnt its selector from the corpus's marked notes;
    scored on held-out writers' marked notes it quotes a marked sentence more often than chance."""
    marked = EVIDENCE / "heldout-3.jsonl"
    ids = [json.loads(line)["id"] for line in marked.read_text().splitlines()]
    notes = _notes_by_id()
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(notes[i]) + "\n" for i in ids))
    r = run_cli("eval", "--data", str(rows), "--evidence", str(marked), "--json", home=tmp_path / "ws")
    assert r.returncode == 0, r.stderr
    excerpts = json.loads(r.stdout)["excerpts"]
    assert excerpts["signals"] == sum(len(json.loads(line)["evidence"]) for line in marked.read_text().splitlines())
    chance = np.mean(
        [
            len(s["sentences"]) / len(segment_spans(notes[json.loads(line)["id"]]["text"]))
            for line in marked.read_text().splitlines()
            for s in json.loads(line)["evidence"]
        ]
    )
    assert 0 < excerpts["gap_found"] <= 1 and excerpts["evidence_hit"] > chance + 0.2
    r = run_cli("eval", "--data", str(rows), "--evidence", str(rows), home=tmp_path / "ws")
    assert r.returncode == 1 and "not an evidence file" in r.stderr
    r = run_cli("eval", "--data", str(rows), "--evidence", str(marked), "--group-by", "writer", home=tmp_path / "ws")
    assert r.returncode == 1 and "plain evaluation" in r.stderr


def test_a_proposed_gap_is_named_from_its_evidence_sentence_even_in_a_note_quoted_whole() -> None:
    text = (
        "Call summary - fintech, 80 engineers, Quasar Labs.\n"
        "The app proxy drops websocket connections after a minute, so prices never update live."
    )
    spans = segment_spans(text)
    assert len(spans) == 2 and len(text) <= 400
    prediction = Prediction(
        signal_type=[("Product Gap", 0.9)], gap=[(NEW_GAP, 0.9)], more_gaps=[], industry=("FSI", 0.9),
        archetype=(None, 0.5), customer="Quasar Labs", competitor=None, acv_usd=None, segments=spans,
        evidence={NEW_GAP: np.asarray([0.2, 1.4]), None: np.asarray([1.0, 0.1])},
    )  # fmt: skip
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), None, review_threshold=0.7)  # type: ignore[arg-type]
    (draft,) = triage.result(NoteInput(text=text), prediction).signals
    assert draft.excerpt == text  # a short note is quoted whole
    assert draft.new_gap_label == "The app proxy drops websocket connections after a minute, so"

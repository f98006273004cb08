"""The learned triage (fieldsignal.triage): span tagger, calibrated heads, ACV scorer, cross-writer eval.

These run on the hashing token encoder (registered like the real one): models fitted here on slices of the
corpus, and the corpus model the session builds on it, so they test the learning machinery, not the accuracy
figures (those come from `fieldsignal eval`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fieldsignal.models import NEW_GAP, NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.acv import AcvScorer, candidates
from fieldsignal.triage.bio import find_all, tags
from fieldsignal.triage.encoder import HashingTokenEncoder
from fieldsignal.triage.gate import Link
from fieldsignal.triage.gate_training import fit_with_gate
from fieldsignal.triage.heads import segment_spans
from fieldsignal.triage.model import Example, TriageModel, gap_class
from fieldsignal.triage.pipeline import LearnedTriage, canonical_competitor, canonical_customer, valid_reading
from fieldsignal.triage.spans import SpanTagger, pick
from fieldsignal.triage.wordpieces import WordPieceMeans

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "corpus.jsonl"
KEYS = ("signal_type", "gap", "gaps", "industry", "archetype", "customer", "customer_mention", "competitor")
KEYS += ("competitor_mention", "acv_usd")


def corpus_rows(per_writer: int = 60) -> list[dict]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    taken: dict[str, int] = {}
    out = []
    for row in rows:
        if taken.get(row["writer"], 0) < per_writer:
            taken[row["writer"]] = taken.get(row["writer"], 0) + 1
            out.append(row)
    return out


def test_segments_are_character_ranges_that_cover_the_sentences() -> None:
    text = "Call with Orrin.\nThey need a WAF in front of the app. Budget is fine!\n- next: demo"
    spans = segment_spans(text)
    pieces = [text[s:e].strip() for s, e in spans]
    assert pieces[0].startswith("Call with Orrin") and any("WAF" in p for p in pieces)
    assert all(0 <= s < e <= len(text) for s, e in spans)


def test_a_sentence_ends_at_a_stop_before_a_space_and_a_wrapped_line_goes_on() -> None:
    text = (
        "Halvorsen's platform team won't let the pilot go to\nprod until the app answers on ops.halvorsen.no, "
        "not our URL. It is a $1.2M deal!\n- next: a Next.js demo\nfor jen.w on Friday\n\nrecap sent to the team"
    )
    pieces = [text[s:e].strip() for s, e in segment_spans(text)]
    assert pieces == [
        "Halvorsen's platform team won't let the pilot go to\nprod until the app answers on ops.halvorsen.no, "
        "not our URL.",
        "It is a $1.2M deal!",
        "- next: a Next.js demo\nfor jen.w on Friday",
        "recap sent to the team",  # a blank line ends a paragraph, whatever case follows
    ]


def test_the_tagger_learns_names_from_their_context() -> None:
    encoder = HashingTokenEncoder()
    people = ["Kestrel", "Orrin", "Quarry", "Lumen", "Cedar", "Halcyon", "Juniper", "Tidewater"]
    rivals = ["Snowflake", "Retool", "Vercel", "Heroku"]
    texts, places = [], []
    for i, name in enumerate(people * 3):
        rival = rivals[i % len(rivals)]
        text = f"Call with {name} today. They went with {rival} in the end."
        texts.append(text)
        places.append({"customer": find_all(text, name), "competitor": find_all(text, rival)})
    tokens = encoder.encode(texts)
    tagger = SpanTagger().fit(tokens, [tags(t, p) for t, p in zip(tokens, places, strict=True)])
    unseen = "Call with Brightline today. They went with Vercel in the end."
    spans = tagger.spans(unseen, encoder.encode([unseen])[0])
    assert pick(spans, "competitor", 0.3) == "Vercel"
    assert pick(spans, "customer", 0.3) in (None, "Brightline")  # a word never seen: context alone


def test_the_acv_scorer_learns_which_amount_is_the_deal() -> None:
    texts = [
        f"Deal is worth ${n}k a year. Their cloud bill is ${m}k."
        for n, m in zip(range(100, 900, 40), range(30, 90, 3), strict=True)
    ]
    labels = [n * 1000 for n in range(100, 900, 40)]
    scorer = AcvScorer().fit(texts, labels)
    value, p = scorer.predict("Deal is worth $450k a year. Their cloud bill is $77k.")
    assert value == 450_000 and p > 0.5
    assert [c.usd for c in candidates("$1.2M over 3 years")] == [400_000]


def test_gap_classes_and_canonical_names() -> None:
    taxonomy = load_taxonomy(None)
    assert gap_class("NEW: no websockets") == NEW_GAP and gap_class(None) is None and gap_class("no-firewall")
    assert canonical_competitor("Streamlit in Snowflake", taxonomy) == "Snowflake"
    assert canonical_competitor("app runner", taxonomy) == "AWS"
    assert canonical_competitor("Render", taxonomy) == "Render"
    assert canonical_customer("kestrel", ("Kestrel Bank", "Orrin Health")) == "Kestrel Bank"
    assert canonical_customer("Nimbus", ("Kestrel Bank",)) == "Nimbus"


@pytest.fixture(scope="module")
def trained(triage_model_on_the_hashing_encoder: tuple[TriageModel, dict]) -> tuple[TriageModel, list[dict]]:
    """The corpus model on the hashing encoder, as the session built or loaded it (conftest: the whole
    corpus, its review gate learnt out of fold), and a slice of the corpus's rows: 10 a writer, 400 notes (30 a
    writer took 15 s to predict, for invariants that 400 notes of every writer try as well)."""
    return triage_model_on_the_hashing_encoder[0], corpus_rows(10)


def test_a_trained_model_gives_calibrated_distributions_and_drafts(trained: tuple[TriageModel, list[dict]]) -> None:
    model, rows = trained
    taxonomy = load_taxonomy(None)
    triage = LearnedTriage(taxonomy, HashingTokenEncoder(), model, review_threshold=0.7)
    (result,) = triage.triage([NoteInput(text=rows[0]["text"])])
    primary = result.signals[0]
    assert primary.signal_type.label in {"Opportunity", "Win", "Loss", "Product Gap", "Competitive"}
    assert primary.deal.lost_deal == (primary.signal_type.label == "Loss")
    pred = model.predict(rows[0]["text"], HashingTokenEncoder().encode([rows[0]["text"]])[0])
    assert abs(sum(p for _, p in pred.signal_type) - 1.0) < 1e-4 and abs(sum(p for _, p in pred.gap) - 1.0) < 1e-4
    assert model.gate is not None
    p_right, bar = model.gate.check([result], [None])[0] or (1.0, 0.0)
    assert primary.needs_review == (
        primary.signal_type.confidence < 0.7 or primary.gap.confidence < 0.7 or primary.gap.label == NEW_GAP
        or p_right < bar
    )  # fmt: skip
    assert any(r.startswith("may be wrong in a field") for r in primary.review_reasons) == (p_right < bar)


def test_the_gap_heads_are_combined_by_what_was_learnt_and_never_contradict(
    trained: tuple[TriageModel, list[dict]],
) -> None:
    model, rows = trained
    assert model.gapset.model is not None  # learnt from the writers' gap sets
    texts = [r["text"] for r in rows]
    found = model.predict_many(texts, HashingTokenEncoder().encode(texts))
    for pred in found:
        gaps = [pred.gap[0][0], *(g for g, _ in pred.more_gaps)]
        assert len(set(gaps)) == len(gaps)  # no gap twice
        assert pred.gap[0][0] is not None or not pred.more_gaps  # "no gap" comes with no further gaps
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), model)
    read = [triage.result(NoteInput(text=t), p) for t, p in zip(texts, found, strict=True)]
    gapless = [s for r in read for s in r.signals if s.signal_type.label == "Product Gap" and s.gap.label is None]
    assert not gapless  # a Product Gap always names a gap (`needs_gap` in the taxonomy)
    assert any(p.signal_type[0][0] == "Product Gap" and p.gap[0][0] is None for p in found)  # the heads alone do


def test_the_industry_head_reads_what_the_customers_name_means(trained: tuple[TriageModel, list[dict]]) -> None:
    """Beside what the note's words mean, the industry head reads what its customer's name means, untuned (the
    name's word-piece mean): a name no training note used still says something ("Mutual", "Therapeutics")."""
    model, _ = trained
    text = "Call notes: they want the app live before the quarter ends"
    name = "Ashgrove Therapeutics"
    meanings = model._meanings([text, text], ["", name])
    half = meanings.shape[1] // 2
    np.testing.assert_array_equal(meanings[0, :half], meanings[1, :half])  # the note's words: the same
    assert not meanings[0, half:].any()  # no name, no meaning
    np.testing.assert_allclose(meanings[1, half:], WordPieceMeans().features([name])[0], atol=1e-6)
    assert model.word_scaler.transform(meanings).shape == meanings.shape  # what the head was fitted on
    (vectors,) = HashingTokenEncoder().encode([f"{name}: {text}"])
    assert 0.0 < model.predict(f"{name}: {text}", vectors).industry[1] <= 1.0  # read end to end


def test_a_type_that_needs_a_gap_is_read_with_the_likelier_valid_pair() -> None:
    bound = frozenset({"Product Gap"})
    types = [("Product Gap", 0.8), ("Loss", 0.15), ("Win", 0.05)]
    gaps = [(None, 0.6), ("no-firewall", 0.3), ("no-gpu-config", 0.1)]
    # 0.8 x 0.3 for a Product Gap about the firewall against 0.15 x 0.6 for a Loss with no gap
    assert valid_reading(types, gaps, bound) == (types, [("no-firewall", 0.3), (None, 0.6), ("no-gpu-config", 0.1)])
    unsure = [("Product Gap", 0.45), ("Opportunity", 0.44), ("Win", 0.11)]
    nothing = [(None, 0.9), ("no-firewall", 0.05), ("no-gpu-config", 0.05)]
    assert valid_reading(unsure, nothing, bound) == ([unsure[1], unsure[0], unsure[2]], nothing)
    assert valid_reading(types, gaps, frozenset()) == (types, gaps)  # the taxonomy's flag decides, not the name
    assert valid_reading([("Loss", 0.9), ("Win", 0.1)], gaps, bound) == ([("Loss", 0.9), ("Win", 0.1)], gaps)


def test_the_review_gate_is_learnt_from_notes_the_heads_never_saw(trained: tuple[TriageModel, list[dict]]) -> None:
    from fieldsignal.triage.gate import BUDGET

    # the session's corpus model: its gate was learnt out of fold by this code (the cache is keyed by it)
    model, rows = trained
    assert model.gate is not None and model.gate.read is not None and model.gate.linked is not None
    for gate in (model.gate.read, model.gate.linked):
        # the bar keeps within the review budget, unless the confidence threshold alone is over it
        assert gate.review_share <= BUDGET + 1e-9 or gate.bar == 0.0
        assert 0.0 <= gate.accepted_right <= 1.0
    # the linked gate reads the link: a sure link makes a note likelier right than no link at all
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), model, review_threshold=0.7)
    (result,) = triage.triage([NoteInput(text=rows[0]["text"])])
    sure, none = Link("Acme", 0.99, 0.01), Link(None, 0.05, 0.01)
    (p_sure, _), (p_none, _) = model.gate.check([result, result], [sure, none])  # type: ignore[misc]
    assert p_sure > p_none
    # one batch scores each note as it would be scored alone, read or linked
    alone = [*model.gate.check([result], [None]), *model.gate.check([result], [sure])]
    assert model.gate.check([result, result], [None, sure]) == alone
    fewer = [Example(r["text"], {k: r[k] for k in KEYS}, r["writer"]) for r in corpus_rows(30) if r["writer"] < "w2"]
    few = HashingTokenEncoder().encode([e.text for e in fewer])
    assert fit_with_gate(fewer, few, load_taxonomy(None)).gate is None  # fewer than 300 notes


def test_training_reproduces_with_the_same_seed() -> None:
    rows = corpus_rows(3)  # every writer, a few notes each: reproducing needs no accuracy
    examples = [Example(r["text"], {k: r[k] for k in KEYS}, r["writer"]) for r in rows]
    texts = [e.text for e in examples]
    tokens = HashingTokenEncoder().encode(texts)
    first, again = TriageModel().fit(examples, tokens), TriageModel().fit(examples, tokens)
    for a, b in zip(first.predict_many(texts, tokens), again.predict_many(texts, tokens), strict=True):
        assert (a.signal_type, a.gap, a.more_gaps, a.customer) == (b.signal_type, b.gap, b.more_gaps, b.customer)


def test_a_heavily_weighted_correction_moves_the_next_similar_note() -> None:
    rows = corpus_rows(20)  # every writer, 20 notes each (on 15 each, the correction did not move the note)
    note = "Weird one: they want the app to print barcode labels on the warehouse printers and it can't."
    examples = [Example(r["text"], {k: r[k] for k in KEYS}, r["writer"]) for r in rows]
    fixed = Example(note, {"signal_type": "Product Gap", "gap": "NEW: no label printing"}, "reviewed", weight=40.0)
    encoder = HashingTokenEncoder()
    tokens = encoder.encode([e.text for e in [*examples, fixed]])
    similar = "they want the app to print barcode labels on the warehouse printers, it can't"
    (vectors,) = encoder.encode([similar])
    before = TriageModel().fit(examples, tokens[:-1]).predict(similar, vectors)
    assert before.gap[0][0] not in (None, NEW_GAP)  # the same notes without the correction: a known gap
    after = TriageModel().fit([*examples, fixed], tokens).predict(similar, vectors)
    assert after.gap[0][0] == NEW_GAP


def test_eval_group_by_writer_scores_each_writer_with_a_model_that_never_saw_it(tmp_path: Path) -> None:
    from fieldsignal.eval.runner import run_eval

    data = tmp_path / "slice.jsonl"
    rows = corpus_rows(25)[:75]
    writers = {r["writer"] for r in rows}
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory")
    report = run_eval(data, settings, load_taxonomy(None), group_by="writer")
    assert set(report["groups"]) == writers and len(writers) == 3
    assert all(report["groups"][w]["signal_type"]["n"] == 25 for w in writers)
    headline = report["cross_group"]
    for name in ("signal_type.macro_f1", "gap.accuracy", "customer.accuracy", "acv_usd.accuracy", "loss_recall"):
        assert 0.0 <= headline[name]["worst"] <= headline[name]["mean"] <= 1.0, name
        worst = headline[name]["worst_group"]
        lowest = min(_figure(report["groups"][g], name) for g in report["groups"])
        assert headline[name]["worst"] == pytest.approx(lowest), name
        assert _figure(report["groups"][worst], name) == pytest.approx(headline[name]["worst"]), name
    linked, mention = headline["customer_linked.accuracy"], headline["customer_mention.accuracy"]
    assert 0.0 <= linked["worst"] <= linked["mean"] <= 1.0 and 0.0 <= mention["worst"] <= mention["mean"] <= 1.0
    assert np.isfinite(report["review"]["share_to_review"])
    industry = headline["industry_linked.accuracy"]
    assert 0.0 <= industry["worst"] <= industry["mean"] <= 1.0
    for w in writers:  # the same signals, with the writer's accounts (and their industries) listed
        group = report["groups"][w]
        assert group["industry_linked"]["n"] == 25
        # no review gate below 300 notes: the same signals are auto-accepted, linked or not
        assert group["review_with_accounts"]["auto_accepted"] == group["review"]["auto_accepted"]
    every = [report["groups"][w]["review_with_accounts"]["auto_accepted_all_fields"] for w in writers]
    assert ("auto_accepted_all_fields_with_accounts" in headline) == any(e is not None for e in every)


def _figure(report: dict, name: str) -> float:
    if name == "signal_type.macro_f1":
        return float(report["signal_type"]["macro_f1"])
    if name == "loss_recall":
        return float(report["signal_type"]["per_class"]["loss"]["recall"])
    return float(report[name.split(".")[0]]["accuracy"])


def test_a_workspace_on_the_learned_triage_builds_caches_and_learns_from_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal.store.review import Fix
    from fieldsignal.triage import shipped
    from fieldsignal.workspace import Workspace

    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.jsonl"
    rows = corpus_rows(7)  # under the review gate's 300 notes: the gate is tested on the session's model
    assert len(rows) < 300
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory", corpus=corpus)
    ws = Workspace(settings)
    note = "Odd ask from Quillon: the app has to print barcode labels on their warehouse printers and it can't."
    report = ws.add_notes([NoteInput(text=note)])
    assert report.signals_added >= 1
    assert len(list((tmp_path / "cache" / "triage").glob("*/model.pkl"))) == 1  # built once, cached
    first = ws.show(report.signal_ids[0])["signal"]
    ws.review(first.id, "ana", Fix.model_validate({"signal_type": "Product Gap", "gap": "no-gpu-config"}))
    again = Workspace(settings)  # a new process: the cached model plus this workspace's correction
    similar = "Odd ask from Quillon: the app has to print barcode labels on the warehouse printers and it cannot."
    (result,) = again.triage_notes([NoteInput(text=similar)])
    assert result.signals[0].gap.label == "no-gpu-config"
    assert shipped.cache_dir() == tmp_path / "cache"


def test_learnt_corrections_are_refitted_once_then_loaded_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the first process after a review refits the heads; later ones load them, and read notes exactly
    as scikit-learn's own refitted models do."""
    from fieldsignal import registry
    from fieldsignal.store.review import Fix
    from fieldsignal.triage import shipped
    from fieldsignal.triage.heads import note_features
    from fieldsignal.workspace import Workspace

    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in corpus_rows(7)), encoding="utf-8")
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory", corpus=corpus)
    ws = Workspace(settings)
    (first,) = ws.add_notes([NoteInput(text="Quillon: the app must print barcode labels on their printers")]).signal_ids
    ws.review(first, "ana", Fix.model_validate({"signal_type": "Product Gap", "gap": "no-gpu-config"}))
    notes = [
        "Quillon: the app must print barcode labels on the printers",
        "Lost Bluefin Capital to Snowflake, they wanted custom domains",
    ]
    refitted = [r.model_dump() for r in Workspace(settings).triage_notes([NoteInput(text=t) for t in notes])]
    cached = list((tmp_path / "cache" / "corrected").glob("*.pkl"))
    assert len(cached) == 1 and refitted[0]["signals"][0]["gap"]["label"] == "no-gpu-config"

    def no_refit(*args: object, **kwargs: object) -> None:
        raise AssertionError("refitted although the same corrections were cached")

    with monkeypatch.context() as patched:
        patched.setattr(shipped, "with_corrections", no_refit)
        loaded = [r.model_dump() for r in Workspace(settings).triage_notes([NoteInput(text=t) for t in notes])]
    assert loaded == refitted

    # the cached (numpy) heads give scikit-learn's probabilities
    encoder = registry.create("token_encoder", "hashing", settings)
    _, bundle = shipped.load_or_build(ws.taxonomy, encoder, corpus)
    own = shipped.with_corrections(bundle, shipped.correction_examples(ws.labelled()), encoder)
    mine = Workspace(settings).parts.triage.model
    x = own.scaler.transform(np.stack([note_features(t, v) for t, v in zip(notes, encoder.encode(notes), strict=True)]))
    for head in ("types", "gaps"):
        assert type(getattr(mine, head).model).__module__.startswith("fieldsignal.")
        assert type(getattr(own, head).model).__module__.startswith("sklearn.")
        np.testing.assert_allclose(getattr(mine, head).proba(x), getattr(own, head).proba(x), atol=1e-5)

    # a second fix of the signal is another set of corrections (its latest labels only): refitted; a damaged
    # cache file is refitted, not an error
    ws.review(first, "ana", Fix.model_validate({"gap": "no-custom-domains"}))
    assert [e.gap for e in ws.labelled()] == ["no-custom-domains"]
    again = Workspace(settings).triage_notes([NoteInput(text=notes[0])])
    assert again[0].signals[0].gap.label == "no-custom-domains"
    assert len(list((tmp_path / "cache" / "corrected").glob("*.pkl"))) == 2
    for path in (tmp_path / "cache" / "corrected").glob("*.pkl"):
        path.write_bytes(b"not a pickle")
    assert Workspace(settings).triage_notes([NoteInput(text=notes[0])]) == again


def test_a_process_reads_a_cached_model_once_until_its_file_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each workspace (the server's after every review) asked for the corpus model and unpickled its 30 MB again."""
    import shutil

    from fieldsignal import registry
    from fieldsignal.triage import shipped

    taxonomy = load_taxonomy(None)
    encoder = registry.create("token_encoder", "hashing", load_settings(env={}, embedder="hashing"))
    key = shipped.model_key(shipped.default_corpus(), taxonomy, encoder.name)
    built = shipped.cache_dir() / "triage" / key / "model.pkl"  # the session's (conftest)
    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path))
    path = tmp_path / "triage" / key / "model.pkl"
    path.parent.mkdir(parents=True)
    shutil.copyfile(built, path)
    first, bundle = shipped.load_or_build(taxonomy, encoder)
    again, same = shipped.load_or_build(taxonomy, encoder)
    assert again is first and same is bundle  # read once
    rebuilt = path.with_name("model.pkl.new")
    shutil.copyfile(path, rebuilt)
    rebuilt.replace(path)  # as a build puts its file in place: another file at the same path
    reread, fresh = shipped.load_or_build(taxonomy, encoder)
    assert reread is not first and fresh is not bundle
    text = "Lost Bluefin Capital to Snowflake: no custom domains for their portal. $1.2M over 3 yrs"
    (vectors,) = encoder.encode([text])
    a, b = reread.predict(text, vectors), first.predict(text, vectors)
    assert (a.signal_type, a.gap, a.more_gaps, a.customer, a.competitor, a.acv_usd, a.segments) == (
        b.signal_type, b.gap, b.more_gaps, b.customer, b.competitor, b.acv_usd, b.segments
    )  # fmt: skip


def test_a_review_landing_while_the_triage_is_built_is_learnt_at_the_next_use(tmp_path: Path) -> None:
    """A build that read the corrections before a review landed is used once, never kept."""
    import threading

    from fieldsignal.workspace_parts import Parts

    reading, go_on = threading.Event(), threading.Event()
    built: list[object] = []

    class SlowParts(Parts):
        def build_triage(self, progress: object = None) -> object:
            reading.set()
            assert go_on.wait(10)
            built.append(object())
            return built[-1]

    parts = SlowParts(load_settings(env={}, home=tmp_path, embedder="hashing", vectorstore="memory"))
    first = threading.Thread(target=lambda: parts.triage)
    first.start()
    assert reading.wait(10)
    parts.forget_triage()  # a review lands while the build reads the corrections
    go_on.set()
    first.join(10)
    assert len(built) == 1 and not parts.triage_loaded
    assert parts.triage is built[-1] and len(built) == 2 and parts.triage is built[-1]


def test_tags_are_decoded_as_the_best_valid_bio_sequence() -> None:
    """A name's first word the tagger doubts joins the name when the next word is confidently inside it."""
    from fieldsignal.triage.spans import TAGS, viterbi

    o, b, i = TAGS.index("O"), TAGS.index("B-customer"), TAGS.index("I-customer")
    probs = np.full((3, len(TAGS)), 0.001)
    probs[0, [o, b]] = 0.66, 0.33  # "Kestrel": more likely outside on its own
    probs[1, [o, i]] = 0.2, 0.78  # "Bank": inside a name, which must have begun before it
    probs[2, o] = 0.99
    assert viterbi(probs).tolist() == [b, i, o]
    probs[0, [o, b]] = 0.99, 0.001  # when nothing can begin the name, the lone inside word begins it
    assert viterbi(probs).tolist()[1] in (b, o)
    assert TAGS[viterbi(probs)[1]] != "I-customer"


def test_names_the_tagger_doubts_are_kept_as_weaker_candidates() -> None:
    """Word pieces likely enough to be inside a customer's name make runs, cut at separators, best first."""
    from fieldsignal.triage.encoder import TokenVectors
    from fieldsignal.triage.spans import TAGS, _runs

    text = "met Kestrel Bank: then Orrin"
    words = [(0, 3), (4, 11), (12, 16), (16, 17), (18, 22), (23, 28)]
    tokens = TokenVectors(np.zeros((6, 2), np.float32), np.asarray(words, np.int32), np.zeros((6, 4), np.float32))
    probs = np.zeros((6, len(TAGS)), np.float32)
    b, i = TAGS.index("B-customer"), TAGS.index("I-customer")
    probs[:, TAGS.index("O")] = 1.0
    for k, (p_b, p_i) in {1: (0.10, 0.05), 2: (0.0, 0.12), 3: (0.0, 0.3), 5: (0.2, 0.1)}.items():
        probs[k, [b, i]] = p_b, p_i  # ":" is likely inside, but a separator is never part of a name
    runs = _runs(text, tokens, probs, "customer", 0.1)
    assert [s.text for s in runs] == ["Orrin", "Kestrel Bank"]
    assert runs[0].score == pytest.approx(0.3) and runs[1].score == pytest.approx(0.135)
    assert [s.text for s in _runs(text, tokens, probs, "customer", 0.2)] == ["Orrin"]
    assert _runs(text, tokens, probs, "customer", 1.0) == []


def test_the_llm_gets_the_nearest_training_notes_as_worked_examples(tmp_path: Path) -> None:
    from fieldsignal.workspace import Workspace

    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory")
    triage = Workspace(settings).triage
    rows = corpus_rows(400)
    probe = next(r for r in rows if r.get("gap") and len(r["text"]) > 80)
    nearest = triage.nearest(probe["text"], 4)
    assert len(nearest) == 4
    assert nearest[0][1] == probe["text"]  # the note itself is in the corpus: nearest to itself
    assert all(
        gap is None or gap in {g.slug for g in triage.taxonomy.gaps} or gap.startswith("NEW") for gap, _ in nearest
    )


def _prediction(**changes: object) -> object:
    from fieldsignal.triage.model import Prediction

    base = dict(
        signal_type=[("Product Gap", 0.9), ("Loss", 0.1)],
        gap=[("no-firewall", 0.85), ("no-custom-domains", 0.1)],
        more_gaps=[],
        industry=("FSI", 0.8),
        archetype=(None, 0.5),
        customer="Tidewater Insurance",
        competitor=None,
        acv_usd=120_000,
    )
    return Prediction(**(base | changes))  # type: ignore[arg-type]


def test_a_note_reporting_two_gaps_becomes_two_signals_sharing_the_deal() -> None:
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), None, review_threshold=0.7)  # type: ignore[arg-type]
    note = NoteInput(text="Tidewater Insurance: WAF first, then their own domain for the portal.")
    result = triage.result(note, _prediction(more_gaps=[("no-custom-domains", 0.8)]))  # type: ignore[arg-type]
    assert [d.gap.label for d in result.signals] == ["no-firewall", "no-custom-domains"]
    assert {d.deal.customer for d in result.signals} == {"Tidewater Insurance"}
    assert [d.category.label for d in result.signals] == ["Security", "Domains"]
    assert not result.signals[0].needs_review and result.signals[1].needs_review is False


def test_a_new_gap_is_proposed_with_a_label_and_always_reviewed() -> None:
    triage = LearnedTriage(load_taxonomy(None), HashingTokenEncoder(), None, review_threshold=0.7)  # type: ignore[arg-type]
    note = NoteInput(text="Quasar Labs: the app proxy drops websocket connections, so no live prices")
    (draft,) = triage.result(note, _prediction(gap=[(NEW_GAP, 0.95)], customer="Quasar Labs")).signals  # type: ignore[arg-type]
    assert draft.gap.label == NEW_GAP and draft.deal.customer == "Quasar Labs"
    assert draft.new_gap_label == "the app proxy drops websocket connections, so no live prices"  # not "Quasar Labs …"
    assert draft.category.label is None and draft.needs_review
    assert draft.review_reasons == ["proposes a new gap"]


def test_few_shot_eval_trains_on_the_shots_alone_and_sets_its_bar_on_val_rows(tmp_path: Path) -> None:
    """`eval --few-shot`: the same machinery on another taxonomy; out of scope is a low calibrated
    probability, with the bar chosen on the `val` rows (never on the scored test rows)."""
    from fieldsignal.eval.runner import run_eval

    topics = {
        "weather": ["will it rain in {c}", "forecast for {c} tomorrow", "is it sunny in {c}", "how cold is {c}"],
        "flights": ["book a flight to {c}", "flights from {c} on friday", "cheapest ticket to {c}", "fly to {c}"],
        "music": ["play some jazz from {c}", "put on {c} radio", "play the album {c}", "next song by {c}"],
    }
    odd = ["what is the meaning of {c}", "tell me a joke about {c}", "how tall is {c} tower", "who founded {c}"]
    cities = ["Oslo", "Lima", "Pune", "Kyiv", "Quito", "Hanoi", "Perth", "Cork", "Bern", "Riga", "Doha", "Male"]
    rows = []
    for i, city in enumerate(cities):
        split = "train" if i < 6 else ("val" if i < 9 else "test")
        for label, forms in topics.items():
            rows.append({"text": forms[i % 4].format(c=city), "label": label, "split": split})
        if split != "train":
            rows += [{"text": form.format(c=city), "label": "oos", "split": split} for form in odd]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory")
    report = run_eval(data, settings, load_taxonomy(None), few_shot=4)["label"]
    assert report["threshold_chosen_on"].startswith("val rows")
    assert {p["threshold"] for p in report["oos_curve"]} >= {0.0, 0.5}
    everything_known = next(p for p in report["oos_curve"] if p["threshold"] == 0.0)
    assert everything_known["oos_recall"] == 0.0  # at bar 0 every row gets a label
    assert everything_known["in_scope_accuracy"] > 0.5  # three labels: well above chance


def test_the_recall_bar_is_learnt_from_pairs_of_different_stories() -> None:
    from fieldsignal.triage.model import RECALL_SIMILARITY

    def pair(cos: float) -> tuple[np.ndarray, np.ndarray]:  # two unit vectors this alike
        return np.array([1.0, 0.0]), np.array([cos, np.sqrt(1 - cos**2)])

    different = np.linspace(0.0, 0.5, 101)
    same = [pair(c) for c in (0.3, 0.6, 0.7, 0.8)]
    model = TriageModel()
    model.learn_recall(same, [pair(c) for c in different])
    assert model.recall_similarity == pytest.approx(0.495)  # 1 in 100 different-story pairs is as alike
    assert model.recall_precision == pytest.approx(3 / 5)  # above it: 3 second reports, 2 different stories
    few = TriageModel()
    few.learn_recall(same, [pair(c) for c in different[:10]])
    assert few.recall_similarity == RECALL_SIMILARITY and few.recall_precision is None


def test_competitor_mentions_come_in_one_order_in_every_process() -> None:
    """The competitor scorer is fitted on the mentions in the order found: a set's order, which changes
    with each process's hash seed, made two builds of one corpus differ."""
    import random
    import subprocess
    import sys

    from fieldsignal.triage.rivals import alias_patterns, mentions

    patterns = alias_patterns(load_taxonomy(None))
    text = "They run on AWS and tried Streamlit in Snowflake after a Snowflake bake-off; SiS lost to Retool."
    found = mentions(text, patterns, [])
    assert [(m.start, m.end) for m in found] == sorted((m.start, m.end) for m in found) and len(found) >= 4
    for seed in range(3):
        assert mentions(text, random.Random(seed).sample(patterns, len(patterns)), []) == found
    show = "from fieldsignal.taxonomy import load_taxonomy as t; from fieldsignal.triage.rivals import alias_patterns"
    show += "; print([p.pattern for _, p in alias_patterns(t(None))])"
    command = [sys.executable, "-c", show]
    printed = {
        subprocess.run(command, env={"PYTHONHASHSEED": seed}, capture_output=True, text=True).stdout for seed in "12"
    }
    assert len(printed) == 1 and "snowflake" in printed.pop()


def test_models_are_keyed_by_what_their_code_does_not_by_its_documentation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any edit under triage/ rebuilt every model (about 45 minutes here), a docstring's or a comment's too."""
    from fieldsignal.cache import cache_dir, code_digest
    from fieldsignal.triage import shipped

    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))

    source = tmp_path / "heads.py"

    def digest(text: str) -> str:
        source.write_text(text, encoding="utf-8")
        return code_digest([source])

    base = digest('"""Heads."""\n\nC = 0.05  # regularisation\n\n\ndef fit(x):\n    """Fit."""\n    return x * C\n')
    documented = digest(
        '"""Heads, better said."""\n\nC = 0.05  # another comment\n\n\ndef fit(x):\n    """Fit, told again."""\n'
        "    # a new comment\n    return x * C\n"
    )
    undocumented = digest("C = 0.05\n\n\ndef fit(x):\n    return x * C\n")
    assert base == documented == undocumented
    assert digest('"""Heads."""\n\nC = 0.5\n\n\ndef fit(x):\n    """Fit."""\n    return x * C\n') != base
    assert digest('"""Heads."""\n\nC = 0.05\n\n\ndef fit(x):\n    """Fit."""\n    return C * x\n') != base
    assert digest("C = 0.05\n\n\ndef fit(x):\n    return x * C\n\n\ndef more():\n    pass\n") != base
    renamed = tmp_path / "other.py"
    renamed.write_text("C = 0.05\n\n\ndef fit(x):\n    return x * C\n", encoding="utf-8")
    assert code_digest([renamed]) != base  # the module's name is part of what it does (imports name it)
    # the triage's own modules, one docstring edited in a copy: the same key
    triage = sorted(Path(shipped.__file__).parent.glob("*.py"))
    copies = []
    for module in triage:
        copy = tmp_path / "triage" / module.name
        copy.parent.mkdir(exist_ok=True)
        text = module.read_text(encoding="utf-8")
        copy.write_text(text.replace('"""', '"""Edited. ', 1) if module.name == "evidence.py" else text, "utf-8")
        copies.append(copy)
    edited = tmp_path / "triage" / "evidence.py"
    assert edited.read_bytes() != (Path(shipped.__file__).parent / "evidence.py").read_bytes()
    assert code_digest(copies) == code_digest(triage)
    kept = {p.name: p.read_text() for p in (cache_dir() / "code").iterdir()}  # by the modules' bytes
    assert len(kept) == 9 and code_digest(triage) + "\n" in kept.values()

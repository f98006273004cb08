"""The tuned encoder: how training rows and batches are made, tuning on the real local model, the cache,
and the cross-writer folds that each tune their own encoder without the held-out writer."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from fieldsignal.eval.crossval import leave_one_group_out
from fieldsignal.triage.bio import TAGS
from fieldsignal.triage.encoder import HashingTokenEncoder, TokenVectors
from fieldsignal.triage.finetune import TuneConfig, _Row, batches, training_rows
from fieldsignal.triage.model import Example

ROOT = Path(__file__).resolve().parents[1]
NOTES = [
    Example(
        "Lost Orbis Freight to Snowflake, $400k.",
        {
            "signal_type": "Loss",
            "gap": "no-gpu-config",
            "customer_mention": "Orbis Freight",
            "competitor_mention": "Snowflake",
        },
        "a",
    ),
    Example(
        "Teller Bank signed for the app rollout.",
        {"signal_type": "Win", "gap": None, "customer_mention": "Teller Bank", "competitor": None},
        "b",
    ),
    Example("GPU serving is what the app would need.", {"gap": "no-gpu-config"}, "taxonomy"),
]


class _WordPieces:
    """Words and punctuation as word pieces, with the call signature the training rows use."""

    def __call__(self, text: str, truncation: bool, max_length: int, return_offsets_mapping: bool) -> dict:
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)][: max_length - 2]
        spans = [(0, 0), *words, (0, 0)]  # [CLS] ... [SEP]
        return {"input_ids": list(range(1, len(spans) + 1)), "offset_mapping": spans}


def test_training_rows_label_what_each_example_knows_and_mark_the_rest_unlabelled() -> None:
    rows, n_types, n_gaps = training_rows(_WordPieces(), NOTES, max_len=64)
    assert (n_types, n_gaps) == (2, 2)  # Loss, Win; no-gpu-config and "no gap"
    loss, win, gap_only = rows
    assert loss.kind != win.kind and gap_only.kind == -100
    assert loss.gap == gap_only.gap != win.gap
    assert gap_only.tags.tolist() == [-100] * len(gap_only.tags)  # names unknown: not taught as "no name"
    named = [TAGS[t] for t in loss.tags if t != -100]
    assert named[:3] == ["O", "B-customer", "I-customer"] and "B-competitor" in named
    assert loss.tags[0] == loss.tags[-1] == -100  # [CLS] and [SEP] carry no tag


def test_batches_hold_notes_of_about_one_length_in_a_seeded_order() -> None:
    rows = [_Row(list(range(n)), np.zeros(n), 0, 0) for n in random.Random(1).sample(range(1, 400), 100)]
    first = batches(rows, 16, random.Random(7))
    assert sorted(len(r.ids) for b in first for r in b) == sorted(len(r.ids) for r in rows)  # each row once
    spread = [max(len(r.ids) for r in b) - min(len(r.ids) for r in b) for b in first]
    assert np.mean(spread) < 80  # random batches of 16 from 1..400 would spread over ~330
    again = batches(rows, 16, random.Random(7))
    assert [[len(r.ids) for r in b] for b in first] == [[len(r.ids) for r in b] for b in again]


def test_each_fold_reads_notes_with_an_encoder_tuned_without_the_held_out_writer() -> None:
    encoder = HashingTokenEncoder()
    writers = {"w1": "Lost {} to Snowflake on price.", "w2": "{} signed, the app is live.", "w3": "{} lost to AWS."}
    examples = [
        Example(text.format(name), {"signal_type": "Loss" if "ost" in text else "Win"}, writer)
        for writer, text in writers.items()
        for name in ("Orbis", "Teller", "Quill", "Marlow")
    ]
    seen: list[set[str]] = []

    def retune(train: Sequence[Example]) -> list[TokenVectors]:
        seen.append({e.group for e in train})
        return encoder.encode([e.text for e in examples])

    predictions = leave_one_group_out(examples, [], retune=retune)
    assert seen == [{"w2", "w3"}, {"w1", "w3"}, {"w1", "w2"}]  # folds in writer order, never the held-out one
    assert len(predictions) == len(examples) and all(p is not None for p in predictions)

    seen.clear()
    models: dict = {}
    leave_one_group_out(examples, [], retune=retune, encoder_folds=2, models=models)
    assert seen == [{"w2"}, {"w1", "w3"}]  # two encoders: one without w1 and w3, one without w2
    assert set(models) == {"w1", "w2", "w3"}  # but heads fitted without each writer alone
    assert len({id(m) for m in models.values()}) == 3

    seen.clear()
    models.clear()
    leave_one_group_out(examples, [], retune=retune, encoder_folds=2, models=models, head_folds=2)
    assert seen == [{"w2"}, {"w1", "w3"}] and models["w1"] is models["w3"] is not models["w2"]  # heads per block


def test_heads_can_be_fitted_without_a_block_of_writers() -> None:
    encoder = HashingTokenEncoder()
    examples = [
        Example(f"{name} {verb}", {"signal_type": kind}, writer)
        for writer in ("w1", "w2", "w3", "w4")
        for name in ("Orbis", "Teller", "Quill")
        for verb, kind in (("lost to Snowflake", "Loss"), ("signed the deal", "Win"))
    ]
    examples += [Example("Orbis weighs Retool too", {"signal_type": "Competitive"}, w) for w in ("w1", "w3")]
    tokens = encoder.encode([e.text for e in examples])
    models: dict = {}
    scored: list[tuple[str, int]] = []
    predictions = leave_one_group_out(
        examples, tokens, models=models, head_folds=2, on_group=lambda g, rows, found, m: scored.append((g, len(rows)))
    )
    assert scored == [("w1", 7), ("w3", 7), ("w2", 6), ("w4", 6)]  # every writer scored, block by block
    assert models["w1"] is models["w3"] and models["w2"] is models["w4"] and models["w1"] is not models["w2"]
    assert all(p is not None for p in predictions)
    # a block's model learnt from the other block only: only w1 and w3 label a note Competitive
    assert set(models["w1"].types.classes) == {"Loss", "Win"}
    assert set(models["w2"].types.classes) == {"Loss", "Win", "Competitive"}


@pytest.mark.model
def test_tuning_the_local_model_changes_its_vectors_and_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal.triage.encoder import TokenEncoder
    from fieldsignal.triage.tuned_encoder import TunedTokenEncoder
    from fieldsignal.vectorstore.embedder import bundled_model

    # the untuned model's vectors, from the user's cache (its export is made once, not again in this test's)
    (base,) = TokenEncoder(bundled_model, "base").encode([NOTES[0].text])
    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))
    config = TuneConfig(epochs=2.0, batch=2, max_len=32, lr=1e-4)
    tuned = TunedTokenEncoder(NOTES, config)
    (vectors,) = tuned.encode([NOTES[0].text])
    assert (tuned.folder / "config.json").exists()  # tuned on first use, saved to the cache
    assert vectors.offsets.tolist() == base.offsets.tolist()
    assert not np.allclose(vectors.vectors, base.vectors, atol=1e-3)  # the weights moved

    stamp = (tuned.folder / "model.safetensors").stat().st_mtime_ns
    same = TunedTokenEncoder(NOTES, config)
    assert same.name == tuned.name  # same notes, same recipe: the cached weights, not a second tuning
    same.prepare()
    assert (same.folder / "model.safetensors").stat().st_mtime_ns == stamp
    (again,) = same.encode([NOTES[0].text])
    assert np.allclose(again.vectors, vectors.vectors, atol=1e-5)
    assert TunedTokenEncoder(NOTES[:2], config).name != tuned.name  # other notes: another encoder


class _TunableHashing(HashingTokenEncoder):
    """A fake tunable encoder, registered like the real one: it records what it was tuned on."""

    def __init__(self, examples: Sequence[Example] = ()) -> None:
        super().__init__()
        self.examples = list(examples)
        self.name = f"hashing-tunable-{len(self.examples)}"

    def tuned_on(self, examples: Sequence[Example]) -> _TunableHashing:
        return _TunableHashing(examples)


def test_a_workspace_tunes_on_its_corpus_and_own_taxonomy_and_not_on_shots_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a corpus, the encoder is tuned on it plus the workspace's own taxonomy examples (never the bundled
    taxonomy's). A few-shot workspace (no corpus) reads with the encoder as it is: tuning on 8 shots a label
    scored below the untuned encoder on BANKING77."""
    import json
    import os

    from fieldsignal import registry
    from fieldsignal.settings import load_settings
    from fieldsignal.taxonomy.loader import load_taxonomy, taxonomy_from_labels
    from fieldsignal.triage.shipped import taxonomy_examples
    from fieldsignal.vectorstore.embedder import HashingEmbedder
    from fieldsignal.workspace import Workspace

    registry.register("embedder", "hashing-tunable")(lambda settings: HashingEmbedder())
    registry.register("token_encoder", "hashing-tunable")(lambda settings: _TunableHashing())
    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))
    shots = {"card lost": ["I lost my card", "my card is gone"], "refund": ["I want my money back", "refund please"]}
    corpus = tmp_path / "corpus.jsonl"
    rows = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines()[:60]]
    corpus.write_text("\n".join(json.dumps(r) for r in rows))

    def tuned_texts(corpus_path: Path) -> set[str]:
        settings = load_settings(
            env={}, home=tmp_path / "ws", embedder="hashing-tunable", vectorstore="memory", corpus=corpus_path
        )
        triage = Workspace(settings, taxonomy_from_labels(shots), learn=False).parts.build_triage()
        return {e.text for e in triage.encoder.examples}

    with_corpus = tuned_texts(corpus)
    assert {r["text"] for r in rows} | {t for texts in shots.values() for t in texts} <= with_corpus
    bundled = {e.text for e in taxonomy_examples(load_taxonomy(None))} - {r["text"] for r in rows}
    assert bundled and not bundled & with_corpus  # nothing from the bundled taxonomy's examples
    assert tuned_texts(Path(os.devnull)) == set()  # shots alone: not tuned


def test_the_tuned_encoder_is_keyed_by_what_the_tuning_reads() -> None:
    """Another ACV, industry or competitor label leaves the tuned weights as they are (no 20-minute retune);
    another text, type, gap or name tag is another encoder."""
    from fieldsignal.triage.tuned_encoder import TUNE, training_key

    def key(**labels: object) -> str:
        known = {"acv_usd": 400_000, "industry": "MFG", "competitor": "Snowflake"}
        first = Example(NOTES[0].text, {**NOTES[0].labels, **known, **labels}, "a")
        return training_key([first, *NOTES[1:]], TUNE)

    same = key()
    assert key(acv_usd=None) == key(industry="HLS") == key(competitor="Azure") == same
    for changed in ({"signal_type": "Competitive"}, {"gap": "lakebase-only"}, {"competitor_mention": None}):
        assert key(**changed) != same, changed
    assert training_key([Example(NOTES[0].text + "!", NOTES[0].labels, "a"), *NOTES[1:]], TUNE) != same


def test_a_corpus_row_with_a_number_for_a_name_is_one_clear_error(tmp_path: Path) -> None:
    from fieldsignal.errors import FieldsignalError
    from fieldsignal.triage.shipped import corpus_examples

    good = {"text": "Larkspur pulled the plug, $98k, no competitor", "signal_type": "Loss", "competitor": None}
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (good, good | {"competitor": 98000})) + "\n", encoding="utf-8")
    with pytest.raises(FieldsignalError, match=r"line 2: competitor is 98000, not text or null"):
        corpus_examples(path)
    path.write_text(json.dumps(good | {"acv_usd": "98k"}) + "\n", encoding="utf-8")
    with pytest.raises(FieldsignalError, match="line 1: acv_usd is '98k', not a whole number"):
        corpus_examples(path)
    path.write_text(json.dumps(good | {"acv_usd": 98000}) + "\n", encoding="utf-8")
    assert corpus_examples(path)[0].labels["acv_usd"] == 98000

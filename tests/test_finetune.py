"""The tuned encoder: how training rows and batches are made, tuning on the real local model, the cache,
and the cross-writer folds that each tune their own encoder without the held-out writer."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from fieldsignal.triage.bio import TAGS
from fieldsignal.triage.crossval import leave_one_group_out
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


@pytest.mark.model
def test_tuning_the_local_model_changes_its_vectors_and_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal.triage.tuned import TunedTokenEncoder

    monkeypatch.setenv("FIELDSIGNAL_CACHE_DIR", str(tmp_path / "cache"))
    config = TuneConfig(epochs=2.0, batch=2, max_len=32, lr=1e-4)
    tuned = TunedTokenEncoder(NOTES, config)
    (vectors,) = tuned.encode([NOTES[0].text])
    assert (tuned.folder / "config.json").exists()  # tuned on first use, saved to the cache

    from fieldsignal.triage.encoder import TokenEncoder
    from fieldsignal.vectorstore.embedder import bundled_model

    (base,) = TokenEncoder(bundled_model, "base").encode([NOTES[0].text])
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
        triage = Workspace(settings, taxonomy_from_labels(shots), learn=False).build_triage()
        return {e.text for e in triage.encoder.examples}

    with_corpus = tuned_texts(corpus)
    assert {r["text"] for r in rows} | {t for texts in shots.values() for t in texts} <= with_corpus
    bundled = {e.text for e in taxonomy_examples(load_taxonomy(None))} - {r["text"] for r in rows}
    assert bundled and not bundled & with_corpus  # nothing from the bundled taxonomy's examples
    assert tuned_texts(Path(os.devnull)) == set()  # shots alone: not tuned

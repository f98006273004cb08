"""SetFit-style fine-tuning: batch plans and loss (pure), and a real tuning run on the local model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from fieldsignal.agent.finetune import FineTuneParams, batches, labelled_texts, supervised_contrastive_loss
from fieldsignal.errors import FieldsignalError
from fieldsignal.settings import load_settings
from fieldsignal.taxonomy import taxonomy_from_labels
from fieldsignal.workspace import Workspace


def test_batches_cover_every_text_each_epoch_with_positives() -> None:
    labels = [f"l{i % 7}" for i in range(50)] + ["lonely"]
    params = FineTuneParams(epochs=3, labels_per_batch=4, per_label=2)
    plan = batches(labels, params)
    seen = Counter(i for batch in plan for i in batch)
    usable = [i for i, label in enumerate(labels) if label != "lonely"]
    assert all(seen[i] >= 3 for i in usable)  # every text at least once per epoch
    assert 50 not in seen  # a label with one text has no positive: left out
    for batch in plan:
        per_label = Counter(labels[i] for i in batch)
        assert len(per_label) >= 2
        assert all(n >= 2 for n in per_label.values())
        assert len(batch) <= params.labels_per_batch * params.per_label


def test_batches_need_two_labels() -> None:
    assert batches(["a", "a", "a"], FineTuneParams()) == []


def test_loss_rewards_same_label_texts_being_close() -> None:
    ids = torch.tensor([0, 0, 1, 1])
    clustered = torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]])
    mixed = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.99, 0.1], [0.1, 0.99]])
    good = supervised_contrastive_loss(clustered, ids, 0.1)
    bad = supervised_contrastive_loss(mixed, ids, 0.1)
    assert float(good) < float(bad)


def test_labelled_texts_drops_repeats_and_blanks() -> None:
    texts, labels = labelled_texts({"a": ["x", "x", ""], "b": ["x", "y"]})
    assert list(zip(texts, labels, strict=True)) == [("x", "a"), ("x", "b"), ("y", "b")]


def test_train_refuses_the_hashing_embedder(fast_ws: Workspace) -> None:
    with pytest.raises(FieldsignalError, match="local sentence model"):
        fast_ws.train()


@pytest.mark.model
def test_training_pulls_same_label_texts_together_and_triage_uses_it(tmp_path: Path) -> None:
    shots = {
        "refund": ["i want my money back", "please refund the order", "return this and refund me"],
        "card lost": ["my card is gone", "i lost my debit card", "card missing, block it"],
        "pin": ["forgot my pin", "how do i reset the pin", "pin locked after three tries"],
    }
    ws = Workspace(load_settings(env={}, home=tmp_path / "ws", vectorstore="memory"), taxonomy_from_labels(shots))
    probe = ["can i get a refund for this", "send my money back please", "i misplaced my card"]

    def margin(vectors: np.ndarray) -> float:  # same-label similarity minus cross-label similarity
        return float(vectors[0] @ vectors[1] - vectors[0] @ vectors[2])

    before = margin(ws.embedder.encode(probe))
    report = ws.train(FineTuneParams(epochs=6, labels_per_batch=3, per_label=2, learning_rate=5e-5))
    assert report.labels == 3 and report.steps > 0
    assert (Path(report.path) / "manifest.json").exists()
    assert ws.gap_embedder is not None and ws.gap_embedder.name == f"tuned:{report.version}"
    after = margin(ws.gap_embedder.encode(probe))
    assert after > before
    # the base model (stored vectors, duplicates, search) is untouched
    assert margin(ws.embedder.encode(probe)) == pytest.approx(before, abs=1e-5)
    # a new workspace on the same folder finds the tuned model and classifies with it
    again = Workspace(ws.settings, ws.taxonomy)
    assert again.triage.gap_embedder is not None
    from fieldsignal.models import NoteInput

    result = again.triage.triage([NoteInput(text="refund my last order, i returned it")])[0]
    assert result.signals[0].gap.label == ws.taxonomy.resolve_gap("refund").slug  # type: ignore[union-attr]

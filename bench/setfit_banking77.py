"""BANKING77, 8 shots a label: the bundled MiniLM frozen against a contrastive (SetFit-style) tuning.

    python bench/setfit_banking77.py 1,4 [C]

Samples 8 training rows per label (seed 13), then: a logistic regression (C, default 10) on the frozen
model's normalised mean-pooled vectors; and for each epoch count, the model tuned with in-batch
negatives over same-label pairs (a batch holds a label at most once; scale 20, lr 2e-5) before the
same regression. Prints accuracy on the 3,080 test rows.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from fieldsignal.vectorstore.embedder import fresh_base_model

DATA = Path(__file__).resolve().parents[2] / "shared/benchmarks/banking77/data.jsonl"


def sample(seed: int = 13, k: int = 8) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["split"] == "train":
            by_label.setdefault(row["label"], []).append(row)
    rng = random.Random(seed)
    shots = [row for label in sorted(by_label) for row in rng.sample(by_label[label], k)]
    return [r["text"] for r in shots], [r["label"] for r in shots], [r for r in rows if r["split"] == "test"]


def accuracy(st: Any, texts: list[str], labels: list[str], test: list[dict[str, Any]], c: float) -> float:
    from sklearn.linear_model import LogisticRegression

    def embed(xs: list[str]) -> Any:
        return st.encode(xs, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    head = LogisticRegression(C=c, max_iter=2000).fit(embed(texts), labels)
    return float(head.score(embed([r["text"] for r in test]), [r["label"] for r in test]))


def contrastive(st: Any, texts: list[str], labels: list[str], epochs: int, batch: int = 32) -> None:
    import torch

    torch.manual_seed(13)
    rng = random.Random(13)
    net, tokenizer = st[0].auto_model, st.tokenizer
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-5)
    same: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        same.setdefault(label, []).append(i)

    def embed(idx: list[int]) -> Any:
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=64, return_tensors="pt")
        mask = enc["attention_mask"][..., None]
        pooled = (net(**enc).last_hidden_state * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    net.train()
    for _ in range(epochs):
        order = list(range(len(texts)))
        rng.shuffle(order)
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            if labels[i] in {labels[j] for j in current}:
                continue
            current.append(i)
            if len(current) == batch:
                batches.append(current)
                current = []
        batches += [current] if current else []
        for anchors in batches:
            positives = [rng.choice([j for j in same[labels[i]] if j != i]) for i in anchors]
            logits = 20.0 * embed(anchors) @ embed(positives).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(anchors)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    net.eval()


def main(args: list[str]) -> None:
    epochs = [int(e) for e in (args[0] if args else "1").split(",")]
    c = float(args[1]) if len(args) > 1 else 10.0
    texts, labels, test = sample()
    started = time.perf_counter()
    print(f"frozen: accuracy {accuracy(fresh_base_model(), texts, labels, test, c):.3f}", flush=True)
    for count in epochs:
        st = fresh_base_model()
        contrastive(st, texts, labels, count)
        score = accuracy(st, texts, labels, test, c)
        print(f"contrastive, {count} epochs: accuracy {score:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

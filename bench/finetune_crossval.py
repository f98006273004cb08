"""Experiment: does fine-tuning the encoder help on a writer it never saw? (Not the shipped triage yet.)

    python bench/finetune_crossval.py w5 [w9 ...] [--epochs 2]

For each held-out writer: fine-tune the local MiniLM on every other writer's notes with three
objectives at once (the note's signal type, its gap, and each word piece's BIO tag for customer and
competitor), then encode with the tuned encoder and fit the same scikit-learn heads the triage uses,
and score the held-out writer. The frozen-encoder figures for the same writer are in
`fieldsignal eval --data data/corpus/corpus.jsonl --group-by writer --json` (groups.<writer>).
Seeded; 2 CPU cores take several minutes per writer.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.eval.metrics import classification_report, norm_label, norm_name
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.encoder import TokenEncoder
from fieldsignal.triage.model import Example, TriageModel, _places, gap_class
from fieldsignal.triage.shipped import LABELS, taxonomy_examples
from fieldsignal.triage.spans import TAGS, tags
from fieldsignal.vectorstore.embedder import fresh_base_model

ROOT = Path(__file__).resolve().parents[1]
BATCH, MAX_LEN, LR = 16, 256, 5e-5


class _Offsets:
    def __init__(self, offsets: list[tuple[int, int]]) -> None:
        self.offsets = offsets


def fine_tune(st: Any, train: list[Example], epochs: float, seed: int = 13) -> None:
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    net, tokenizer = st[0].auto_model, st.tokenizer
    types = sorted({e.labels["signal_type"] for e in train})
    gaps = sorted({str(gap_class(e.labels["gap"])) for e in train})
    hidden = net.config.hidden_size
    heads = [
        torch.nn.Linear(hidden, len(types)),
        torch.nn.Linear(hidden, len(gaps)),
        torch.nn.Linear(hidden, len(TAGS)),
    ]
    params = list(net.parameters()) + [p for h in heads for p in h.parameters()]
    optimiser = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    data = []
    for e in train:
        enc = tokenizer(e.text, truncation=True, max_length=MAX_LEN, return_offsets_mapping=True)
        offsets = [(s, t) for s, t in enc["offset_mapping"]]
        real = [i for i, (s, t) in enumerate(offsets) if t > s]
        token_tags = np.full(len(offsets), -100)
        token_tags[real] = tags(_Offsets([offsets[i] for i in real]), _places(e))  # type: ignore[arg-type]
        data.append((enc["input_ids"], token_tags, types.index(e.labels["signal_type"]),
                     gaps.index(str(gap_class(e.labels["gap"])))))  # fmt: skip
    steps = int(epochs * len(data) / BATCH)
    schedule = torch.optim.lr_scheduler.LinearLR(optimiser, 1.0, 0.0, total_iters=steps)
    ce = torch.nn.functional.cross_entropy
    net.train()
    step, started = 0, time.time()
    while step < steps:
        rng.shuffle(data)
        for i in range(0, len(data), BATCH):
            if step >= steps:
                break
            chunk = data[i : i + BATCH]
            width = max(len(c[0]) for c in chunk)
            ids = torch.tensor([c[0] + [0] * (width - len(c[0])) for c in chunk])
            mask = (ids != 0).long()
            token_tags = torch.tensor(
                np.stack([np.concatenate([c[1], np.full(width - len(c[1]), -100)]) for c in chunk])
            )
            out = net(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (out * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            loss = (
                ce(heads[0](pooled), torch.tensor([c[2] for c in chunk]))
                + ce(heads[1](pooled), torch.tensor([c[3] for c in chunk]))
                + ce(heads[2](out).reshape(-1, len(TAGS)), token_tags.reshape(-1), ignore_index=-100)
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                print(f"  step {step}/{steps}, loss {loss.item():.3f}, {time.time() - started:.0f} s", flush=True)
    net.eval()


def score(st: Any, train: list[Example], test: list[Example], extra: list[Example], taxonomy: Any) -> dict[str, float]:
    encoder = TokenEncoder(lambda: st, "tuned")
    texts = [e.text for e in [*train, *extra, *test]]
    tokens = []
    for i in range(0, len(texts), 32):
        tokens += encoder.encode(texts[i : i + 32])
    fitted = TriageModel(seed=13, taxonomy=taxonomy).fit([*train, *extra], tokens[: len(train) + len(extra)])
    preds = [fitted.predict(e.text, t) for e, t in zip(test, tokens[len(train) + len(extra) :], strict=True)]
    kind = classification_report([norm_label(e.labels["signal_type"]) for e in test],
                                 [norm_label(p.signal_type[0][0]) for p in preds])  # fmt: skip
    gap = classification_report([gap_class(e.labels["gap"]) for e in test], [p.gap[0][0] for p in preds])
    mention = classification_report([norm_name(e.labels["customer_mention"]) for e in test],
                                    [norm_name(p.customer) for p in preds])  # fmt: skip
    rival = classification_report(
        [norm_name(e.labels["competitor"]) for e in test], [norm_name(p.competitor) for p in preds]
    )
    return {
        "type_macro_f1": kind["macro_f1"],
        "type_accuracy": kind["accuracy"],
        "loss_recall": kind["per_class"].get("loss", {}).get("recall"),
        "gap": gap["accuracy"],
        "customer_mention": mention["accuracy"],
        "competitor": rival["accuracy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("writers", nargs="+")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus" / "corpus.jsonl")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    taxonomy = load_taxonomy(None)
    examples = [Example(r["text"], {k: r[k] for k in LABELS if k in r}, r["writer"]) for r in rows]
    extra = taxonomy_examples(taxonomy)
    for writer in args.writers:
        started = time.time()
        st = fresh_base_model()  # a private copy: each writer starts from the base model
        train = [e for e in examples if e.group != writer]
        test = [e for e in examples if e.group == writer]
        fine_tune(st, train, args.epochs)
        tuned = time.time() - started
        figures = score(st, train, test, extra, taxonomy)
        print(json.dumps({"writer": writer, "epochs": args.epochs, "fine_tune_seconds": round(tuned),
                          "seconds": round(time.time() - started), **figures}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

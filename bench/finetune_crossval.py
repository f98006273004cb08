"""Does fine-tuning the encoder help on a writer it never saw? (Not the shipped triage yet.)

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
import time
from pathlib import Path
from typing import Any

from fieldsignal.eval.metrics import classification_report
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.compare import norm_label, norm_name
from fieldsignal.triage.encoder import TokenEncoder
from fieldsignal.triage.finetune import TuneConfig, fine_tune
from fieldsignal.triage.model import Example, TriageModel, gap_class
from fieldsignal.triage.shipped import LABELS, taxonomy_examples
from fieldsignal.vectorstore.embedder import fresh_base_model

ROOT = Path(__file__).resolve().parents[1]


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


def _report(what: str, done: int, total: int) -> None:
    if done % 50 == 0 or done == total:
        print(f"  {what}: step {done}/{total}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("writers", nargs="+")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--frozen", type=int, default=0, help="lowest layers kept frozen")
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--steps", type=int, default=0, help="time this many steps only, then stop")
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
        config = TuneConfig(epochs=args.epochs, frozen_layers=args.frozen, max_len=args.max_len)
        if args.steps:
            config = TuneConfig(epochs=args.steps * config.batch / len(train), frozen_layers=args.frozen,
                                max_len=args.max_len)  # fmt: skip
        fine_tune(st, train, config, _report)
        if args.steps:
            print(json.dumps({"writer": writer, "config": config.describe(), "steps": args.steps,
                              "seconds_per_step": round((time.time() - started) / args.steps, 2)}))  # fmt: skip
            continue
        tuned = time.time() - started
        figures = score(st, train, test, extra, taxonomy)
        print(json.dumps({"writer": writer, "config": config.describe(), "fine_tune_seconds": round(tuned),
                          "seconds": round(time.time() - started), **figures}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

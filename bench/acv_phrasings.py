"""ACV on money phrasings written by an independent writer, never trained on.

    python bench/acv_phrasings.py [data/money/phrasings.jsonl] [--split dev|test] [--show]

`data/money/phrasings.jsonl`: short notes, each with the deal's annual value in USD or null, by a
writer briefed only with the ACV labelling rules (`data/money/README.md`). Even rows are the dev half
(errors may be read, `--show`, to fix the parser's grammar); odd rows are the test half (scored only).
Prints two figures per half:
- parser recall: of the rows with an ACV, the share whose value is among the deterministic parser's
  candidates (`amounts`), so the scorer could pick it;
- ACV exact: the learned scorer (fitted on the whole corpus) gives the labelled value, or none when
  the row has none.
Then the corpus leave-one-writer-out: the scorer fitted without each writer, ACV exact on that
writer (mean and worst; the ACV line of `fieldsignal eval --group-by writer`, which needs no encoder).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from fieldsignal.triage.acv import AcvScorer
from fieldsignal.triage.usd_amounts import amounts

ROOT = Path(__file__).resolve().parents[1]


def near(a: int | None, b: int | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= max(1, 0.01 * b)


def main(args: list[str]) -> None:
    path = Path(next((a for a in args if a.endswith(".jsonl")), ROOT / "data/money/phrasings.jsonl"))
    split = args[args.index("--split") + 1] if "--split" in args else None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines() if line]
    scorer = AcvScorer().fit([r["text"] for r in corpus], [r["acv_usd"] for r in corpus])
    for name, part in (("dev", rows[0::2]), ("test", rows[1::2])):
        if split and name != split:
            continue
        valued = [r for r in part if r["acv_usd"] is not None]
        found = sum(any(near(a.usd, r["acv_usd"]) for a in amounts(r["text"])) for r in valued)
        exact = 0
        for r in part:
            guess, p = scorer.predict(r["text"])
            exact += guess == r["acv_usd"]
            if "--show" in args and name == "dev" and guess != r["acv_usd"]:
                print(f"  {r['id']}: gold {r['acv_usd']} got {guess} ({p:.2f}) | {r['text']}")
        print(
            f"{name}: {len(part)} rows ({len(valued)} with an ACV); parser recall {found / max(1, len(valued)):.3f}, "
            f"ACV exact {exact / len(part):.3f}"
        )
    if split:
        return
    by_writer = []
    for writer in sorted({r["writer"] for r in corpus}):
        train = [r for r in corpus if r["writer"] != writer]
        held = [r for r in corpus if r["writer"] == writer]
        fitted = AcvScorer().fit([r["text"] for r in train], [r["acv_usd"] for r in train])
        by_writer.append(sum(fitted.predict(r["text"])[0] == r["acv_usd"] for r in held) / len(held))
    print(f"corpus, leave-one-writer-out: ACV exact {statistics.mean(by_writer):.3f} mean, {min(by_writer):.3f} worst")


if __name__ == "__main__":
    main(sys.argv[1:])

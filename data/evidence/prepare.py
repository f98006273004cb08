"""Labelling tasks for the evidence sentences: long notes cut into the triage's sentences, with the signals
their rows name (one per gap, or one for the type when the note names no gap).

    python data/evidence/prepare.py OUT_DIR

writes `corpus-<n>.jsonl` (training notes, dealt to labellers) and `heldout-<n>.jsonl` (notes by the writers
nothing is trained on) under OUT_DIR. The labellers' answers are kept as `data/evidence/<file>.jsonl`, see
README.md; `check.py` joins them back to the notes.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from fieldsignal.taxonomy.loader import load_taxonomy
from fieldsignal.triage.heads import segment_spans

ROOT = Path(__file__).resolve().parents[2]
LONG = 400  # a note this short is its own excerpt: nothing to choose
PER_WRITER = {"corpus": 24, "heldout": 32}
LABELLERS = {"corpus": 5, "heldout": 3}


def _meanings() -> dict[str, str]:
    return {g.slug: g.description for g in load_taxonomy().gaps}


def task(row: dict, meanings: dict[str, str]) -> dict:
    gaps = row["gaps"] or ([row["gap"]] if row["gap"] else [None])
    signals = []
    for k, gap in enumerate(gaps):
        meaning = meanings.get(gap or "", gap[5:].strip() if gap and gap.startswith("NEW:") else None)
        signals.append({"k": k, "type": row["signal_type"], "gap": gap, "meaning": meaning})
    spans = segment_spans(row["text"])
    sentences = [{"i": i, "text": row["text"][s:e].strip()} for i, (s, e) in enumerate(spans)]
    return {"id": row["id"], "signals": signals, "sentences": sentences}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meanings = _meanings()
    rng = random.Random(7)
    sources = {
        "corpus": [ROOT / "data/corpus/corpus.jsonl"],
        "heldout": [ROOT / "data/corpus/heldout.jsonl", ROOT / "data/corpus/heldout2.jsonl"],
    }
    for part, files in sources.items():
        by_writer: dict[str, list[dict]] = defaultdict(list)
        for path in files:
            for line in path.read_text().splitlines():
                row = json.loads(line)
                if len(row["text"]) > LONG and len(segment_spans(row["text"])) > 1:
                    by_writer[row["writer"]].append(row)
        picked = []
        for writer in sorted(by_writer):
            rows = by_writer[writer]
            picked += rng.sample(rows, min(PER_WRITER[part], len(rows)))
        rng.shuffle(picked)
        n = LABELLERS[part]
        for j in range(n):
            chunk = [task(r, meanings) for r in picked[j::n]]
            (out / f"{part}-{j + 1}.jsonl").write_text("".join(json.dumps(t) + "\n" for t in chunk))
            print(part, j + 1, len(chunk), "notes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""How well the account linker names the account, leave-one-writer-out, given the customer as written.

    python bench/linker_crossval.py [data/corpus/corpus.jsonl]

For each writer: train the linker on every other writer's (as-written, CRM name) pairs, then link
each of this writer's as-written customers against this writer's account list (its CRM names).
Prints, per writer, the share linked to the right account and the share already right unlinked.
The tagger is not involved: `fieldsignal eval --group-by writer` scores the whole chain.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from fieldsignal.triage.accounts import AccountLinker, training_pairs
from fieldsignal.triage.compare import norm_name

ROOT = Path(__file__).resolve().parents[1]


def main(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores = []
    for writer in sorted({r["writer"] for r in rows}):
        pairs = training_pairs(
            [(r["customer_mention"], r["customer"], r["writer"]) for r in rows if r["writer"] != writer]
        )
        linker = AccountLinker().fit(pairs)
        held = [r for r in rows if r["writer"] == writer and r["customer"]]
        accounts = sorted({r["customer"] for r in held})
        right = sum(norm_name(linker.link(r["customer_mention"], accounts)) == norm_name(r["customer"]) for r in held)
        as_is = sum(norm_name(r["customer_mention"]) == norm_name(r["customer"]) for r in held)
        scores.append(right / len(held))
        print(
            f"{writer}: {len(held)} customers, {len(accounts)} accounts: linked right {right / len(held):.3f}, "
            f"right as written {as_is / len(held):.3f}"
        )
    print(f"mean {statistics.mean(scores):.3f}, worst {min(scores):.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "corpus" / "corpus.jsonl")

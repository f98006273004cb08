"""How long linking a customer to the account list takes, one at a time (a paste) and in batches (an import).

    python bench/linker_speed.py

Trains the linker on the corpus, then links 200 as-written customers against account lists of
300, ~2,500 (the corpus's CRM names) and 10,000 names (the corpus's names with suffixes added); then
as the triage links a note with six names to try (`link_first`: the written one and five more, here
words of the note, which name no account, so every one is scored: the worst case).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from fieldsignal.triage.accounts import AccountLinker, training_pairs

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    lines = (ROOT / "data" / "corpus" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    linker = AccountLinker().fit(training_pairs([(r["customer_mention"], r["customer"], r["writer"]) for r in rows]))
    names = sorted({r["customer"] for r in rows if r["customer"]})
    more = [f"{n} {suffix}" for n in names for suffix in ("Group", "Holdings", "Labs", "Partners")]
    mentions = [r["customer_mention"] for r in rows if r["customer_mention"]][:200]
    words = [[w for w in r["text"].split() if len(w) > 3][:5] for r in rows if r["customer_mention"]][:200]
    tries = [[m, *w] for m, w in zip(mentions, words, strict=True)]
    for size in (300, len(names), 10_000):
        accounts = (names + more)[:size]
        linker.link_many(mentions[:1], accounts)  # the account table is built once per list
        started = time.perf_counter()
        for mention in mentions:
            linker.link(mention, accounts)
        one = (time.perf_counter() - started) / len(mentions)
        started = time.perf_counter()
        for i in range(0, len(mentions), 64):
            linker.link_many(mentions[i : i + 64], accounts)
        batch = (time.perf_counter() - started) / len(mentions)
        started = time.perf_counter()
        for names in tries:
            linker.link_first([names], accounts)
        six = (time.perf_counter() - started) / len(tries)
        print(
            f"{size:>6} accounts: {one * 1000:.1f} ms per paste, {batch * 1000:.1f} ms per note in a batch of 64, "
            f"{six * 1000:.1f} ms per paste with six names"
        )


if __name__ == "__main__":
    main()

"""What a pasted note's new customer costs the account linker: the account list a served workspace links
against is its CRM accounts plus the customers its log holds, so a paste that names a customer that is no
account changes the list. Each name's hashed character n-grams are now kept once read (`AccountLinker.
_account_table`); before, every changed list was hashed whole. Ten pastes a size, each adding one name,
with the names' rows kept (now) and forgotten before each paste (as before), alternated.

    python bench/account_table.py

Measured 2026-12-06 (2 cores, beside a model build): see the README (Speed).
"""

from __future__ import annotations

import json
import random
import statistics
import string
import time

from fieldsignal.triage.accounts import AccountLinker, training_pairs
from fieldsignal.triage.frozen import freeze
from fieldsignal.triage.shipped import default_corpus


def name(rng: random.Random) -> str:
    words = ("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))) for _ in range(3))
    return " ".join(list(words)[: rng.randint(1, 3)]).title()


def main() -> None:
    rows = [json.loads(line) for line in default_corpus().read_text().splitlines() if line.strip()]
    linker = AccountLinker().fit(training_pairs([(r["customer_mention"], r["customer"], r["writer"]) for r in rows]))
    freeze(linker)
    rng = random.Random(7)
    for size in (300, 3_000, 10_000):
        accounts = sorted({name(rng) for _ in range(size)})
        linker.link_scored([["warm up"]], accounts)
        times: dict[str, list[float]] = {"kept": [], "forgotten": []}
        for paste in range(20):
            accounts = sorted([*accounts, name(rng)])  # the last paste's customer joined the list
            how = "kept" if paste % 2 else "forgotten"
            if how == "forgotten":
                linker._names.clear()
            started = time.perf_counter()
            linker.link_scored([[name(rng)]], accounts)
            times[how].append(time.perf_counter() - started)
        kept, forgotten = (statistics.median(times[k]) * 1000 for k in ("kept", "forgotten"))
        print(f"{size:>6} accounts: a paste that grew the list, p50 {kept:.1f} ms (before: {forgotten:.1f} ms)")


if __name__ == "__main__":
    main()

"""What the duplicate scorer's shared-words evidence costs a paste: a corpus note's TF-IDF cosine against 30
other corpus notes, with none of their word vectors known yet (a one-shot CLI paste) and with all of them
remembered (a served process), p50 over 97 notes, with word weights fitted on the corpus.

    python bench/word_cost.py

Measured 2026-12-06: 1.19 ms cold, 0.105 ms warm (the duplicate lookup it adds to: 12.5 ms at 100k signals).
"""

from __future__ import annotations

import json
import statistics
import time

from fieldsignal.dedupe.words import fit_word_weights
from fieldsignal.triage import shipped


def main() -> None:
    rows = [json.loads(line)["text"] for line in shipped.default_corpus().read_text().splitlines() if line.strip()]
    words = fit_word_weights(rows)
    cold, warm = [], []
    for k in range(0, 3000, 31):
        new, old = rows[k], rows[k + 1 : k + 31]
        words._seen.clear()
        for spent in (cold, warm):
            start = time.perf_counter()
            for text in old:
                words.cosine(text, new)
            spent.append(1000 * (time.perf_counter() - start))
    print(f"30 candidates: cold p50 {statistics.median(cold):.2f} ms, warm p50 {statistics.median(warm):.3f} ms")


if __name__ == "__main__":
    main()

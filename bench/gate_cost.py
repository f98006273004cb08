"""What the review gate costs a note: its drafts built and its customer linked, with the gate and without.

    python bench/gate_cost.py

Reads 1,000 corpus notes once with the corpus model on the hashing encoder (built on first use), then
times, best of 3, building their results (`LearnedTriage.result`, then `gated`, where the gate for the
notes read alone runs, the batch at once) and linking them to the notes' ~900 accounts (`link_accounts`,
where the linked gate runs), with the model's gate and with none; prints both and their ratio.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from fieldsignal import registry
from fieldsignal.models import NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage import shipped
from fieldsignal.triage.pipeline import LearnedTriage

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "corpus.jsonl"


def main() -> None:
    taxonomy = load_taxonomy()
    encoder = registry.create("token_encoder", "hashing", load_settings(env={}, embedder="hashing"))
    model, _ = shipped.load_or_build(taxonomy, encoder)
    model = copy.copy(model)  # the gate is swapped below: the process's loaded model stays as it is
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()][:1000]
    texts = [r["text"] for r in rows]
    predictions = model.predict_many(texts, encoder.encode(texts))
    accounts = sorted({r["customer"] for r in rows if r.get("customer")})
    gate, times = model.gate, {}
    for label, used in (("with the gate", gate), ("without", None)):
        model.gate = used
        triage = LearnedTriage(taxonomy, encoder, model)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            read = [triage.result(NoteInput(text=t), p) for t, p in zip(texts, predictions, strict=True)]
            results = triage.gated(read)
            built = time.perf_counter()
            triage.link_accounts(results, accounts)
            runs.append((built - start, time.perf_counter() - built))
        times[label] = min(runs)
        drafts, linking = (seconds * 1000 / len(texts) for seconds in times[label])
        print(f"{label}: drafts {drafts:.3f} ms a note, linking {linking:.3f} ms")
    (a, b), (c, d) = times["with the gate"], times["without"]
    print(f"ratio with / without: drafts {a / c:.2f}, linking {b / d:.2f} ({len(accounts)} accounts)")


if __name__ == "__main__":
    main()

"""The duplicate scorer as a log meets it, out of fold over writers: each writer's notes pasted in date
order, each scored against the earlier signals a paste is scored against (the nearest in meaning and the
customer's, `candidates.nearest`), by a scorer fitted without that writer's fold. Reports how many links
are right (the first report's signal root), how many second reports are linked, and how many "same
signal?" questions are asked, for training pairs without (shipped) and with each note's 3 nearest
earlier notes (`training.nearest_pairs`, tried and not kept: README).

    python bench/dupes_in_a_log.py        # reads the corpus with the shipped triage first (~8 minutes)

Measured 2026-12-06 (40 writers, shipped triage): without the nearest pairs, 567 links, precision 0.741,
recall 0.689, 492 questions; with 3 nearest earlier notes a note, 461 links, precision 0.881, recall 0.666,
141 questions (replayed by `eval.dupes.in_a_log`; its own loop before gave 498 and 142).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import numpy as np

from fieldsignal.dedupe import training
from fieldsignal.dedupe.candidates import Candidate
from fieldsignal.dedupe.words import WordWeights, fit_word_weights
from fieldsignal.eval.dupes import LogRow, in_a_log
from fieldsignal.settings import load_settings
from fieldsignal.triage import shipped
from fieldsignal.workspace import Workspace

FOLDS = 5


def out_of_fold(
    rows: list[dict], found: dict[int, list[Candidate]], neighbours: int, words: WordWeights
) -> dict[str, float]:
    """Each fold of writers replayed by `eval.dupes.in_a_log` with a scorer fitted without it."""
    pairs = training.corpus_pairs(rows, 13)
    if neighbours:
        have = {(a, b) for a, b, _ in pairs}
        pairs += [p for p in training.nearest_pairs(rows, found, neighbours) if p[:2] not in have]
    x = np.stack([training.pair_matrix(found[a], found[b], words) for a, b, _ in pairs])
    y = np.asarray([same for _, _, same in pairs], dtype=bool)
    groups = np.asarray([str(rows[a].get("writer")) for a, _, _ in pairs])
    by_text = {rows[i]["text"]: cands for i, cands in found.items()}
    writers = sorted(set(groups.tolist()))
    totals = {"links": 0, "links_right": 0, "second_reports": 0, "questions": 0}
    for fold in (writers[k::FOLDS] for k in range(FOLDS)):
        kept = ~np.isin(groups, fold)
        scorer = training.fit(x[kept], y[kept], groups[kept], words=words)
        log = [
            LogRow(r["text"], r.get("id"), r.get("writer"), r.get("date") or "", r.get("duplicate_of"))
            for i, r in enumerate(rows)
            if i in found and str(r.get("writer")) in fold
        ]
        figures = in_a_log(log, by_text, scorer)
        for key in totals:
            totals[key] += figures[key]
    return {
        "links": totals["links"], "precision": totals["links_right"] / totals["links"],
        "recall": totals["links_right"] / totals["second_reports"], "asked": totals["questions"],
    }  # fmt: skip


def main() -> None:
    ws = Workspace(load_settings(env={"FIELDSIGNAL_EMBEDDER": "minilm"}, home=Path(tempfile.mkdtemp())))
    rows = [json.loads(line) for line in shipped.default_corpus().read_text().splitlines() if line.strip()]
    read = training.read_notes(ws.triage, ws.embedder, rows, list(range(len(rows))))
    # ids that name the row, not its place in a batch of 64, as the log's ids would
    found = {i: [dataclasses.replace(c, id=i * 100 + k, note_id=i) for k, c in enumerate(cs)] for i, cs in read.items()}
    words = fit_word_weights([r["text"] for r in rows])
    for neighbours in (0, 3):  # as shipped, and the variant tried
        figures = out_of_fold(rows, found, neighbours, words)
        print(f"nearest earlier notes paired: {neighbours}  links {figures['links']}  precision "
              f"{figures['precision']:.3f}  recall {figures['recall']:.3f}  questions {figures['asked']}")  # fmt: skip


if __name__ == "__main__":
    main()

"""The duplicate scorer as a log meets it, out of fold over writers: each writer's notes pasted in date
order, each scored against the earlier signals a paste is scored against (the nearest in meaning and the
customer's, `candidates.nearest`), by a scorer fitted without that writer's fold. Reports how many links
are right (the first report's signal root), how many second reports are linked, and how many "same
signal?" questions are asked, for training pairs without (shipped) and with each note's 3 nearest
earlier notes (`training.nearest_pairs`, tried and not kept: README).

    python bench/dupes_in_a_log.py        # reads the corpus with the shipped triage first (~8 minutes)

Measured 2026-12-06 (40 writers, shipped triage): without the nearest pairs, 567 links, precision 0.741,
recall 0.689, 498 questions; with 3 nearest earlier notes a note, 461 links, precision 0.881, recall 0.666,
142 questions.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import numpy as np

from fieldsignal.dedupe import training
from fieldsignal.dedupe.candidates import Candidate, nearest
from fieldsignal.dedupe.words import WordWeights, fit_word_weights
from fieldsignal.settings import load_settings
from fieldsignal.triage import shipped
from fieldsignal.workspace import Workspace

FOLDS = 5


def in_a_log(
    rows: list[dict], found: dict[int, list[Candidate]], neighbours: int, words: WordWeights
) -> dict[str, float]:
    pairs = training.corpus_pairs(rows, 13)
    if neighbours:
        have = {(a, b) for a, b, _ in pairs}
        pairs += [p for p in training.nearest_pairs(rows, found, neighbours) if p[:2] not in have]
    x = np.stack([training.pair_matrix(found[a], found[b], words) for a, b, _ in pairs])
    y = np.asarray([same for _, _, same in pairs], dtype=bool)
    groups = np.asarray([str(rows[a].get("writer")) for a, _, _ in pairs])
    roots, rank = training._roots(rows), training._rank(rows)
    writers = sorted(set(groups.tolist()))
    links = right = asked = 0
    for fold in (writers[k::FOLDS] for k in range(FOLDS)):
        scorer = training.fit(x[~np.isin(groups, fold)], y[~np.isin(groups, fold)], groups[~np.isin(groups, fold)],
                              words=words)  # fmt: skip
        for writer in fold:
            notes = sorted((i for i in found if str(rows[i].get("writer")) == writer), key=rank.__getitem__)
            for n, i in enumerate(notes[1:], start=1):
                earlier = [c for j in notes[:n] for c in found[j]]
                pool = {c.id: c for new in found[i] for c in nearest(earlier, new)}
                best = None
                for new in found[i]:
                    found_best = scorer.best(list(pool.values()), new)
                    if found_best and (best is None or found_best[1] > best[1]):
                        best = found_best
                if best is None:
                    continue
                asked += best[2] == "ask"
                if best[2] == "link":
                    links += 1
                    right += roots[pool[best[0]].note_id] == roots[i] != i
    reports = sum(roots[i] != i for i in found)
    return {"links": links, "precision": right / links, "recall": right / reports, "asked": asked}


def main() -> None:
    ws = Workspace(load_settings(env={"FIELDSIGNAL_EMBEDDER": "minilm"}, home=Path(tempfile.mkdtemp())))
    rows = [json.loads(line) for line in shipped.default_corpus().read_text().splitlines() if line.strip()]
    read = training.read_notes(ws.triage, ws.embedder, rows, list(range(len(rows))))
    # ids that name the row, not its place in a batch of 64, as the log's ids would
    found = {i: [dataclasses.replace(c, id=i * 100 + k, note_id=i) for k, c in enumerate(cs)] for i, cs in read.items()}
    words = fit_word_weights([r["text"] for r in rows])
    for neighbours in (0, 3):  # as shipped (`training.NEIGHBOURS`), and the variant tried
        figures = in_a_log(rows, found, neighbours, words)
        print(f"nearest earlier notes paired: {neighbours}  links {figures['links']}  precision "
              f"{figures['precision']:.3f}  recall {figures['recall']:.3f}  questions {figures['asked']}")  # fmt: skip


if __name__ == "__main__":
    main()

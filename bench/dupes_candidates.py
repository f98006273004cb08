"""Whether a second report's story is among the candidates a paste scores, and what wider candidates would
link, on corpus writers' logs (a dev measurement: nothing held out is read).

    python bench/dupes_candidates.py [w1,w2,...]

Each writer's notes are replayed as a log (`dedupe.replay`). Candidates before 2026-12-07: the new signal's
customer's and the 25 nearest quotes to its quote. Tried beside them: the 25 nearest quotes to the new note's
whole-note vector, and the signals of the 8 notes whose whole-note vectors are nearest the new note's (shipped:
`candidates.nearest`; the index keeps note vectors). First the share of second reports whose story is among the
candidates, then the replay with the shipped scorer, which was fitted on these writers too: a comparison between
candidate sets, not a figure of the scorer. 2026-12-07, w1-w4 and w49-w52 (1,560 notes, 202 second reports):
story among candidates 0.916 / 0.941 / 1.000; replayed, linked right 138 / 142 / 152 of the 202 (precision
0.926 / 0.916 / 0.927). 40 s on the shipped triage.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
WRITERS = "w1,w2,w3,w4,w49,w50,w51,w52"


def main() -> None:
    from fieldsignal.dedupe import replay as rp
    from fieldsignal.dedupe import training
    from fieldsignal.dedupe.candidates import NEAREST, Candidate
    from fieldsignal.settings import load_settings
    from fieldsignal.workspace import Workspace

    writers = set((sys.argv[1] if len(sys.argv) > 1 else WRITERS).split(","))
    lines = (ROOT / "data/corpus/corpus.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    used = [i for i, r in enumerate(rows) if r["writer"] in writers]
    ws = Workspace(load_settings())
    found = training.read_notes(ws.parts.triage, ws.parts.embedder, rows, used)
    roots = training.first_reports(rows)
    logs = training.writer_logs(rows, found, writers)

    def by(earlier: Sequence[Candidate], new: Candidate, k: int, field: str) -> list[Candidate]:
        """The k earlier signals whose `field` vector is nearest the new note's whole-note vector."""
        rest = [c for c in earlier if c.note_id != new.note_id and getattr(c, field) is not None]
        if new.note_vector is None or not rest:
            return []
        closeness = np.stack([getattr(c, field) for c in rest]) @ new.note_vector
        return [rest[i] for i in np.argsort(-closeness)[:k]]

    today = rp.nearest

    def quotes_only(e: Sequence[Candidate], n: Candidate, k: int = NEAREST) -> list[Candidate]:
        return today(e, dataclasses.replace(n, note_vector=None), k)  # the quotes alone: as before 2026-12-07

    ways: dict[str, Callable[..., list[Candidate]]] = {
        "customer's + nearest quotes (before)": quotes_only,
        "+ quotes near the note": lambda e, n, k=NEAREST: [*quotes_only(e, n, k), *by(e, n, k, "vector")],
        "+ signals of the nearest notes (shipped)": today,
    }
    reports = sum(roots[n] != n for log in logs for n in log)
    scorer = ws.duplicates.scorer
    for name, way in ways.items():
        covered = 0
        for log in logs:
            earlier: list[Candidate] = []
            for n in log:
                if roots[n] != n:
                    notes = {c.note_id for new in found[n] for c in way(earlier, new)}
                    covered += any(roots[m] == roots[n] for m in notes)
                earlier += found[n]
        rp.nearest = way  # the replay's candidates
        figures = rp.log_figures(rp.replay(logs, found, scorer), roots, scorer.link, scorer.ask)
        rp.nearest = today
        print(f"{name}: story among candidates {covered / reports:.3f}; replayed: {figures['links_right']} of "
              f"{reports} linked right, precision {figures['precision']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()

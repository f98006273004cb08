"""The duplicate scorer as a log meets it, out of fold over writers: each writer's notes pasted in date
order, each scored against the earlier signals a paste is scored against (the nearest in meaning and the
customer's), by a scorer fitted without that writer's fold (`training.log_decisions`). Reports the links,
how many are right (the note's own story), how many second reports are linked and how many "same signal?"
questions are asked, at the bars set on pairs (best F1 of pairs) and at the bars set on the replayed logs
(`training.log_bar`, shipped since 2026-12-06), for training pairs without (shipped) and with each note's 3
nearest earlier notes (`training.nearest_pairs`, tried and not kept: README).

    python bench/dupes_in_a_log.py        # reads the corpus with the shipped triage first (~15 minutes)

Measured 2026-12-06 (40 writers, shipped triage) by the bench before, with each fold scorer's own bars set on
pairs: 567 links, precision 0.741, recall 0.689, 492 questions; with 3 nearest earlier notes a note, 461 links,
precision 0.881, recall 0.666, 141 questions. With the bars set on the replayed logs (shipped pairs; the same
functions on the corpus read once): 440 links, precision 0.902, recall 0.651, 239 questions (60 of them about
the note's own story).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fieldsignal.dedupe import training
from fieldsignal.dedupe.replay import log_figures
from fieldsignal.dedupe.words import fit_word_weights
from fieldsignal.settings import load_settings
from fieldsignal.triage import shipped
from fieldsignal.workspace import Workspace


def main() -> None:
    ws = Workspace(load_settings(env={"FIELDSIGNAL_EMBEDDER": "minilm"}, home=Path(tempfile.mkdtemp())))
    rows = [json.loads(line) for line in shipped.default_corpus().read_text().splitlines() if line.strip()]
    found = training.read_notes(ws.triage, ws.embedder, rows, range(len(rows)))
    words = fit_word_weights([r["text"] for r in rows])
    roots = training.first_reports(rows)
    for neighbours in (0, 3):  # as shipped, and the variant tried
        pairs = training.corpus_pairs(rows, 13)
        if neighbours:
            have = {(a, b) for a, b, _ in pairs}
            pairs += [p for p in training.nearest_pairs(rows, found, neighbours) if p[:2] not in have]
        arrays = training.pair_arrays(rows, pairs, found, words)
        on_pairs = training.fit(*arrays, words=words)
        on_logs = training.log_bar(rows, found, arrays, on_pairs)
        decisions = training.log_decisions(rows, found, arrays, words)
        for name, scorer in (("pairs", on_pairs), ("logs", on_logs)):
            f = log_figures(decisions, roots, scorer.link, scorer.ask)
            print(f"nearest earlier notes paired: {neighbours}  bars set on {name} (link {scorer.link:.3f}, ask "
                  f"{scorer.ask:.3f}): links {f['links']}  precision {f['precision']:.3f}  recall {f['recall']:.3f}  "
                  f"questions {f['questions']} ({f['questions_right']} about the note's own story)")  # fmt: skip


if __name__ == "__main__":
    main()

"""Which sentence the excerpt quotes, against the sentences people marked (`data/evidence/`).

    python bench/evidence_crossval.py            # the shipped triage (tuned encoder), as `fieldsignal` reads notes
    FIELDSIGNAL_TUNE_ENCODER=false python bench/evidence_crossval.py
    python bench/evidence_crossval.py --c 0.01 0.05 0.2   # the selector's regularisation, on the writer folds

For every marked signal, given its labelled type and gap: the share of signals whose chosen sentence is a marked
one (hit) and the one marked best to quote (best), for
- the rule the selector replaced: the sentence the gap head scores highest for the gap, among the sentences
  whose most likely gap it is (else the sentence whose most likely gap is likeliest, whichever gap it is: so
  the second gap of a note was quoted with the first one's sentence),
- the first sentence, and chance (a sentence drawn at random),
- the learnt selector, on the corpus's marked notes with writer folds (each fold fitted without its writers),
  and on the held-out writers' marked notes, fitted on every corpus note (the shipped selector).
The folds reuse the shipped model's heads and encoder, which saw the corpus notes (not the held-out ones): the
held-out row is the clean figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fieldsignal.eval.excerpts import notes_by_id  # noqa: E402
from fieldsignal.learned_triage import assemble_triage  # noqa: E402
from fieldsignal.settings import load_settings  # noqa: E402
from fieldsignal.taxonomy import load_taxonomy  # noqa: E402
from fieldsignal.triage import evidence as ev  # noqa: E402
from fieldsignal.triage.model import gap_class  # noqa: E402

FOLDS = 5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--c", type=float, nargs="+", default=[ev.C], help="regularisation values to try on the folds")
    args = ap.parse_args()
    started = time.perf_counter()
    triage = assemble_triage(load_settings(), load_taxonomy(), [])
    model = triage.model
    notes = notes_by_id(ROOT / "data" / "corpus" / name for name in ("corpus.jsonl", "heldout.jsonl", "heldout2.jsonl"))
    parts: dict[str, list[tuple[str, np.ndarray, np.ndarray, np.ndarray, int]]] = {"corpus": [], "heldout": []}
    for part in parts:
        files = sorted((ROOT / "data" / "evidence").glob(f"{part}-*.jsonl"))
        marks = ev.read_marks(files, gap_class)
        ids = sorted({m.note for m in marks})
        tokens = dict(zip(ids, triage.encoder.encode([notes[i]["text"] for i in ids]), strict=True))
        for mark in marks:
            # the rows exactly as the model builds them when it learns the selector
            sentences, type_p, gap_p = model.evidence_sentences(notes[mark.note]["text"], tokens[mark.note])
            for row in ev.labelled_rows(sentences, type_p, gap_p, [mark], model.types.classes, model.gaps.classes):
                # the rule: among the sentences whose most likely gap is this one, the likeliest; when there are
                # none, the sentence whose most likely gap (whichever it is) is likeliest
                column = row.column
                matching = np.flatnonzero(gap_p.argmax(axis=1) == column)
                rule = (
                    int(matching[np.argmax(gap_p[matching, column])])
                    if len(matching)
                    else int(gap_p.max(axis=1).argmax())
                )
                parts[part].append(
                    (notes[mark.note]["writer"], row.x, row.marked,
                     ev.marked_sentences(sentences.spans, mark.spans[:1]), rule)
                )  # fmt: skip

    def figure(rows: list, picks: list[int]) -> str:
        hit = np.mean([marked[p] for (_, _, marked, _, _), p in zip(rows, picks, strict=True)])
        best = np.mean([first[p] for (_, _, _, first, _), p in zip(rows, picks, strict=True)])
        return f"{hit:.3f} / {best:.3f}"

    from sklearn.model_selection import GroupKFold

    corpus, held = parts["corpus"], parts["heldout"]
    writers = np.asarray([w for w, *_ in corpus])
    folded = {c: [0] * len(corpus) for c in args.c}
    for train, test in GroupKFold(FOLDS).split(writers, writers, writers):
        for c in args.c:
            selector = ev.EvidenceSelector(c).fit([corpus[k][1] for k in train], [corpus[k][2] for k in train])
            for k in test:
                folded[c][k] = int(np.argmax(selector.scores(corpus[k][1])))
    shipped = model.evidence
    print(f"encoder {triage.encoder.name}; hit / best (chance: a sentence drawn at random)")
    for part, rows in parts.items():
        chance = np.mean([marked.mean() for _, _, marked, _, _ in rows])
        print(f"{part}: {len(rows)} signals by {len({w for w, *_ in rows})} writers, chance {chance:.3f}")
        print(f"  the gap head's best sentence (the rule replaced): {figure(rows, [r[4] for r in rows])}")
        print(f"  the first sentence: {figure(rows, [0] * len(rows))}")
    for c, picks in folded.items():
        print(f"  corpus, selector (C {c:g}) without each fold's writers ({FOLDS} folds): {figure(corpus, picks)}")
    picks = [int(np.argmax(shipped.scores(x))) for _, x, _, _, _ in held]
    print(f"  held-out writers, the shipped selector: {figure(held, picks)}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

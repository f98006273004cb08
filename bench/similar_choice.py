"""How `similar` ranks, chosen on corpus writers (the held-out ones are scored once, by similar_recall.py).

    python bench/similar_choice.py [w49,w50,...]

The bundled MiniLM that gives the index's vectors never saw the corpus, so its writers are fair ground for
choosing. Over every note's first signal, exhaustively: ranked by the quotes' cosine, the whole notes', their
mean or the closer of the two; then what the index allows (candidates: the nearest K quotes to the quote and to
the note, ranked by the closer). Reports, as similar_recall.py does, Recall@1/5/10 of second reports' first
reports and the share of the first 5 with the note's gap. 2026-12-07, w1-w3 and w49-w52 (1,300 notes, 184
second reports): quotes 0.261 / 0.370 / 0.429, gap 0.602; notes 0.799 / 0.918 / 0.951, gap 0.517; the closer
0.712 / 0.902 / 0.929, gap 0.605; from the index, K = 10 / 20 / 40: Recall@1 0.402 / 0.457 / 0.522, gap
0.605 / 0.610 / 0.612 (K = 40 shipped). The index keeps whole-note vectors since, so the signals of
the nearest notes are candidates too, which reaches the exhaustive figures (`bench/similar_recall.py`).
"""

import datetime as dt
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from fieldsignal.models import NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
writers = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else {"w49", "w50", "w51", "w52", "w1", "w2", "w3"}
rows = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines() if line.strip()]
rows = [r for r in rows if r["writer"] in writers]
with tempfile.TemporaryDirectory() as tmp:
    ws = Workspace(load_settings(env=dict(os.environ), home=Path(tmp) / "ws"))
    ws.add_notes(
        [NoteInput(text=r["text"], date=dt.date.fromisoformat(r["date"]) if r.get("date") else None) for r in rows]
    )
    texts = {r["text"]: r["id"] for r in rows}
    sigs = sorted(ws.list_signals(), key=lambda s: s.id)
    note_text = {}
    first = {}
    for s in sigs:
        t = ws.show(s.id)["note"]["text"]
        note_text[s.note_id] = t
        rid = texts.get(t)
        if rid:
            first.setdefault(rid, s)
    ids = list(first)
    excerpts = ws.parts.embedder.encode([first[i].excerpt for i in ids])
    notes = ws.parts.embedder.encode([note_text[first[i].note_id] for i in ids])
gold = {r["id"]: r for r in rows}
E = excerpts @ excerpts.T
N = notes @ notes.T
np.fill_diagonal(E, -9)
np.fill_diagonal(N, -9)
variants = {"excerpt": E, "note": N, "mean": (E + N) / 2, "max": np.maximum(E, N)}
pos = {i: k for k, i in enumerate(ids)}
gaps = Counter(gold[i].get("gap") for i in ids if gold[i].get("gap"))
known = sum(gaps.values())


def figures(listed: dict[str, list[str]]) -> str:
    """Recall@1/5/10 of second reports' first reports and the same-gap share of the first 5, over `listed`
    (each note's id -> the ids listed like it, best first)."""
    ranks, prec = [], []
    for i, names in listed.items():
        r = gold[i]
        if r.get("duplicate_of") in pos:
            ranks.append(names.index(r["duplicate_of"]) + 1 if r["duplicate_of"] in names else 99)
        if r.get("gap"):
            prec.append(np.mean([gold[n].get("gap") == r["gap"] for n in names[:5]]))
    rec = " ".join(f"R@{k} {np.mean([x <= k for x in ranks]):.3f}" for k in (1, 5, 10))
    return f"{rec}  gap P@5 {np.mean(prec):.3f}  ({len(ranks)} second reports)"


print(f"{len(rows)} notes by {sorted(writers)}")
for name, M in variants.items():
    order = np.argsort(-M, axis=1)
    print(f"{name:8s} {figures({i: [ids[j] for j in order[pos[i], :10]] for i in ids})}")
# the approximation the index allows: candidates = nearest excerpts to the query's excerpt and to its note
X = notes @ excerpts.T  # query note vs candidate excerpt
np.fill_diagonal(X, -9)
M = np.maximum(E, N)
for K in (10, 20, 40):
    listed = {}
    for i in ids:
        k = pos[i]
        cand = (set(np.argsort(-E[k])[:K]) | set(np.argsort(-X[k])[:K])) - {k}
        listed[i] = [ids[j] for j in sorted(cand, key=lambda j: -M[k, j])[:10]]
    print(f"indexed K={K}: {figures(listed)}")

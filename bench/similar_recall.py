"""How useful `fieldsignal similar` is on notes by writers nothing was trained on.

    python bench/similar_recall.py [data/corpus/heldout.jsonl ...]

Imports each held-out file into a fresh workspace (the shipped triage), then, for every note, lists the signals
like its first signal (`Workspace.similar`: other notes' signals nearest in meaning to it) and reports
- for each second report (`duplicate_of`), whether its first report's note is the first, among the first 5 or
  among the first 10 listed (Recall@1/5/10);
  measured 2026-12-07 with the quotes alone, then ranked by the closer of quotes' and whole notes' cosine, then
  with the signals of the nearest notes (the index's notes collection) among the candidates: 8 held-out writers
  0.391 / 0.554 / 0.598 -> 0.576 / 0.696 / 0.707 -> 0.696 / 0.913 / 0.967, w45-w48 0.575 / 0.775 / 0.850 ->
  0.825 / 0.875 / 0.925 -> 0.900 / 0.950 / 0.975;
- for each note whose writer labelled a known gap, the share of the first 5 listed whose notes the writers gave
  the same gap (precision@5), against the share of all such notes with that gap (what a random pick gives):
  0.623 -> 0.629 -> 0.612 and 0.535 -> 0.546 -> 0.541 (a random pick 0.064 and 0.062).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "data/corpus/heldout.jsonl", ROOT / "data/corpus/heldout2.jsonl"]


def measure(path: Path) -> None:
    import datetime as dt

    from fieldsignal.models import NoteInput
    from fieldsignal.settings import load_settings
    from fieldsignal.store.db import close_idle
    from fieldsignal.workspace import Workspace

    started = time.perf_counter()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(load_settings(env=dict(os.environ), home=Path(tmp) / "ws"))
        dates = [dt.date.fromisoformat(r["date"]) if r.get("date") else None for r in rows]
        report = ws.add_notes([NoteInput(text=r["text"], date=d) for r, d in zip(rows, dates, strict=True)])
        by_note: dict[int, str] = {}  # note id -> corpus row id
        first_signal: dict[str, int] = {}  # corpus row id -> its note's first signal
        texts = {r["text"]: r["id"] for r in rows}
        for signal in sorted(ws.list_signals(), key=lambda s: s.id):
            row_id = by_note.get(signal.note_id) or texts[ws.show(signal.id)["note"]["text"]]
            by_note[signal.note_id] = row_id
            first_signal.setdefault(row_id, signal.id)
        listed = {row_id: [by_note[s.note_id] for s, _ in ws.similar(sid, 10)] for row_id, sid in first_signal.items()}
        ws.vector_index.close()
        close_idle()
    gold = {r["id"]: r for r in rows}
    ranks = []
    for r in rows:
        if r.get("duplicate_of") and r["id"] in listed:
            names = listed[r["id"]]
            ranks.append(names.index(r["duplicate_of"]) + 1 if r["duplicate_of"] in names else 99)
    gaps = Counter(r["gap"] for r in rows if r.get("gap"))
    known = sum(gaps.values())
    precision, chance = [], []
    for row_id, names in listed.items():
        gap = gold[row_id].get("gap")
        if not gap:
            continue
        top = [n for n in names[:5] if n in gold]
        if top:
            precision.append(sum(gold[n].get("gap") == gap for n in top) / len(top))
            chance.append((gaps[gap] - 1) / max(known - 1, 1))
    recall = {k: sum(r <= k for r in ranks) / len(ranks) for k in (1, 5, 10)} if ranks else {}
    print(f"{path.name}: {len(rows)} notes, {report.signals_added} signals, {len(ranks)} second reports")
    print("  first report listed: " + ", ".join(f"Recall@{k} {v:.3f}" for k, v in recall.items()))
    print(f"  same gap among the first 5: precision {sum(precision) / len(precision):.3f} "
          f"(random pick {sum(chance) / len(chance):.3f}; {len(precision)} notes)")  # fmt: skip
    print(f"  {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    for name in sys.argv[1:] or DEFAULT:
        measure(Path(name))

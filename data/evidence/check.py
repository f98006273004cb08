"""Join the labellers' answers to their notes: check every answer and keep each evidence sentence as a character
span of the note (so the labels outlive a change to how notes are cut into sentences).

    python data/evidence/check.py TASK_DIR ANSWER_DIR

reads `TASK_DIR/<file>.jsonl` (written by prepare.py) and `ANSWER_DIR/<file>.jsonl` (the labellers') and
writes `data/evidence/<file>.jsonl`: per note its id, writer and, per signal, type, gap, the chosen sentence
indices (best first) and their spans. Stops with a one-line message on the first answer that is not valid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fieldsignal.eval.excerpts import notes_by_id
from fieldsignal.triage.heads import segment_spans

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SOURCES = ("data/corpus/corpus.jsonl", "data/corpus/heldout.jsonl", "data/corpus/heldout2.jsonl")


def join(task_file: Path, answer_file: Path, notes: dict[str, dict]) -> list[dict]:
    tasks = [json.loads(line) for line in task_file.read_text().splitlines() if line.strip()]
    answers = {}
    for line in answer_file.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            answers[row["id"]] = row
    out = []
    for task in tasks:
        answer = answers.get(task["id"])
        if answer is None:
            raise SystemExit(f"{answer_file}: no answer for {task['id']}")
        note = notes[task["id"]]
        spans = segment_spans(note["text"])
        if [note["text"][s:e].strip() for s, e in spans] != [s["text"] for s in task["sentences"]]:
            raise SystemExit(f"{task['id']}: the note is cut into other sentences than the task's")
        chosen = {int(e["k"]): [int(i) for i in e["sentences"]] for e in answer["evidence"]}
        evidence = []
        for signal in task["signals"]:
            picked = chosen.get(signal["k"])
            if not picked or any(not 0 <= i < len(spans) for i in picked):
                raise SystemExit(f"{answer_file}: {task['id']} signal {signal['k']}: no valid sentence")
            evidence.append(
                {"k": signal["k"], "type": signal["type"], "gap": signal["gap"], "sentences": picked,
                 "spans": [list(spans[i]) for i in picked]}
            )  # fmt: skip
        out.append({"id": task["id"], "writer": note["writer"], "labeller": answer_file.stem, "evidence": evidence})
    return out


def main(task_dir: Path, answer_dir: Path) -> None:
    notes = notes_by_id(ROOT / name for name in SOURCES)
    for answer_file in sorted(answer_dir.glob("*.jsonl")):
        rows = join(task_dir / answer_file.name, answer_file, notes)
        (HERE / answer_file.name).write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(answer_file.name, len(rows), "notes,", sum(len(r["evidence"]) for r in rows), "signals")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

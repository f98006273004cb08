"""How well a signal's excerpt quotes its evidence: scored against sentences people marked (`data/evidence/`).

For each marked signal whose gap the triage found in the note, the excerpt is right when the sentence it
quotes is one of the marked evidence sentences (`evidence_hit`), and best when it is the one marked best to
quote (`best_sentence`). A signal whose gap the triage missed has no excerpt to judge (`gap_found` says how
many were found).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fieldsignal.errors import InputError
from fieldsignal.eval.figures import EvalRow
from fieldsignal.models import TriageResult
from fieldsignal.triage.evidence import Marked, marked_sentences, read_marks
from fieldsignal.triage.model import gap_class


def notes_by_id(paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """The rows of JSONL files by their id (the notes an evidence file names)."""
    out = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = row
    return out


def load_marks(paths: Sequence[Path]) -> dict[str, list[Marked]]:
    """The marked signals of each note, by note id (one-line message on a file that is not one)."""
    by_note: dict[str, list[Marked]] = defaultdict(list)
    for path in paths:
        try:
            marks = read_marks([path], gap_class)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not an evidence file ({exc.__class__.__name__}: {exc})") from None
        for mark in marks:
            by_note[mark.note].append(mark)
    return dict(by_note)


def score_excerpts(
    rows: Sequence[EvalRow], results: Sequence[TriageResult], marks: dict[str, list[Marked]]
) -> dict[str, Any]:
    signals = found = hit = best = 0
    for row, result in zip(rows, results, strict=True):
        for mark in marks.get(row.id or "", []):
            signals += 1
            draft = next((d for d in result.signals if gap_class(d.gap.label) == mark.gap), None)
            if draft is None:
                continue
            found += 1
            start = row.text.find(draft.excerpt)
            if start < 0:  # the excerpt is not one piece of the note (a short note quoted whole, cut)
                continue
            quoted = [(start, start + len(draft.excerpt))]
            hit += bool(marked_sentences(quoted, mark.spans)[0])
            best += bool(marked_sentences(quoted, mark.spans[:1])[0])
    if not signals:
        raise InputError("no scored row has marked evidence: the evidence files name other notes' ids")
    return {
        "signals": signals,
        "gap_found": round(found / signals, 4),
        "evidence_hit": round(hit / found, 4) if found else None,
        "best_sentence": round(best / found, 4) if found else None,
    }

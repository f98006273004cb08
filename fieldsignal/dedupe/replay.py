"""Notes replayed as a log: each pasted in date order and scored against the earlier signals a paste is
scored against (its customer's and the nearest in meaning, `candidates.nearest`).

A pair of notes is not how the scorer meets a second report: in a log a note meets every earlier note of
the gap it reports, and a bar set on pairs (one first report, one hard negative) links too readily there.
So the link bar is set on replayed logs (`training.log_bar`), and `fieldsignal eval --dupes` replays its
data the same way (`eval.dupes.in_a_log`). Pure: candidates in, decisions out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fieldsignal.dedupe.candidates import Candidate, nearest


@dataclass(frozen=True)
class Decision:
    """What the scorer made of one pasted note: the earlier note its most alike signal pair belongs to,
    that pair's probability, and whether the scorer may link the two on its own (`may_link`)."""

    note: int
    earlier: int
    probability: float
    may_link: bool

    def linked_at(self, bar: float) -> bool:
        """Linked by the scorer on its own with this link bar."""
        return self.probability >= bar and self.may_link

    def right(self, roots: Sequence[int]) -> bool:
        """The earlier note is of the pasted note's own story (`roots`: each note's first report)."""
        return roots[self.earlier] == roots[self.note] != self.note


def replay(logs: Iterable[Sequence[int]], found: Mapping[int, list[Candidate]], scorer: Any) -> list[Decision]:
    """Each log (note numbers in date order; `found[n]` the note's signals as candidates, their `note_id`
    the note's number) replayed: one decision for every note that meets an earlier candidate."""
    decisions: list[Decision] = []
    for notes in logs:
        earlier: list[Candidate] = []
        for n in notes:
            best: Decision | None = None
            for new in found[n]:
                allowed = nearest(earlier, new)  # never the note's own signals
                if not allowed:
                    continue
                p = scorer.probabilities(allowed, new)
                i = int(np.argmax(p))
                if best is None or float(p[i]) > best.probability:
                    best = Decision(n, allowed[i].note_id, float(p[i]), scorer.may_link(allowed[i], new))
            if best is not None:
                decisions.append(best)
            earlier += found[n]
    return decisions


def log_figures(decisions: Sequence[Decision], roots: Sequence[int], bar: float, ask: float) -> dict[str, Any]:
    """Links at `bar` (and allowed): how many, how many join a second report to its own story (`roots`:
    each note's first report), the share of second reports so linked; the questions asked (at or above
    `ask`, not linked) and how many of them ask about the note's own story."""
    links = [d for d in decisions if d.linked_at(bar)]
    right = sum(d.right(roots) for d in links)
    reports = sum(roots[n] != n for n in range(len(roots)))
    precision = right / len(links) if links else 0.0
    recall = right / reports if reports else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    asked = [d for d in decisions if d.probability >= ask and not d.linked_at(bar)]
    return {
        "second_reports": reports, "links": len(links), "links_right": right, "precision": round(precision, 4),
        "recall": round(recall, 4), "f1": round(f1, 4), "questions": len(asked),
        "questions_right": sum(d.right(roots) for d in asked),
    }  # fmt: skip

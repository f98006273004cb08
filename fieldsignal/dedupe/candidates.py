"""Second reports of the same signal: same customer, same gap, possibly other words and days later.

A signal is a duplicate of an earlier one when both name the same customer (compared
without case, punctuation or legal suffix) and the same known gap, or both propose a
new gap and their excerpts are close in meaning, within a time window. The same gap at
another customer, or another gap at the same customer, is a different signal. Pure:
the store feeds candidates in and records `duplicate_of`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldsignal.records import Candidate, customer_key

if TYPE_CHECKING:
    pass

__all__ = ["Candidate", "customer_key"]


def from_draft(
    draft: Any,
    signal_id: int,
    note_id: int,
    text: str,
    known_gaps: Container[str],
    vector: Any = None,
    note_vector: Any = None,
) -> Candidate:
    """A triaged signal (a `SignalDraft`) as a duplicate candidate, its gap distribution kept."""
    label = draft.gap.label
    probs: dict[str, float] = {}
    for name, p in [(label, draft.gap.confidence), *draft.gap.alternatives]:
        key = name if name in known_gaps else ("\0none" if name is None else "\0new")
        probs[key] = probs.get(key, 0.0) + float(p)
    return Candidate(
        id=signal_id,
        note_id=note_id,
        customer=draft.deal.customer,
        gap=label if label in known_gaps else None,
        new_gap=label is not None and label not in known_gaps,
        date=draft.deal.date,
        vector=vector,
        text=text,
        gap_probs=probs,
        competitor=draft.deal.competitor,
        signal_type=draft.signal_type.label,
        author=draft.deal.author,
        note_vector=note_vector,
    )


@dataclass(frozen=True)
class DedupeParams:
    window_days: int = 120
    new_gap_similarity: float = 0.72  # two new-gap proposals this close are the same gap


def same_signal(a: Candidate, b: Candidate, p: DedupeParams = DedupeParams()) -> bool:
    if a.note_id == b.note_id:
        return False
    key = customer_key(a.customer)
    if key is None or key != customer_key(b.customer):
        return False
    if a.date and b.date and abs((a.date - b.date).days) > p.window_days:
        return False
    if a.gap and a.gap == b.gap:
        return True
    if a.new_gap and b.new_gap and a.vector is not None and b.vector is not None:
        return float(a.vector @ b.vector) >= p.new_gap_similarity
    return False


def find_original(new: Candidate, earlier: Sequence[Candidate], p: DedupeParams = DedupeParams()) -> int | None:
    """The id of the first report `new` repeats (following chains to their root), or None."""
    by_id = {c.id: c for c in earlier}
    matches = [c for c in earlier if same_signal(new, c, p)]
    if not matches:
        return None
    first = min(matches, key=lambda c: (c.date or dt.date.max, c.id))
    while first.duplicate_of is not None and first.duplicate_of in by_id:
        first = by_id[first.duplicate_of]
    return first.id


NEAREST = 25  # candidates scored per new signal, beyond those of its customer
# and the signals of the notes nearest the new note as whole notes: a second report often tells the story in
# other sentences, so its quote is not near the first report's (bench/dupes_candidates.py: the story was among
# the candidates for 91.6 % of corpus writers' second reports, 100 % with the nearest notes' signals)
NEAREST_NOTES = 8


def nearest(earlier: Sequence[Candidate], new: Candidate, k: int = NEAREST) -> list[Candidate]:
    """The earlier signals worth scoring against `new`: its customer's, the `k` closest in meaning by quote,
    and those of the NEAREST_NOTES earlier notes closest to its note."""
    import numpy as np

    others = [c for c in earlier if c.note_id != new.note_id]
    if len(others) <= k or new.vector is None:
        return others
    key = customer_key(new.customer)
    mine = [c for c in others if key is not None and customer_key(c.customer) == key]
    taken = {c.id for c in mine}
    rest = [c for c in others if c.vector is not None and c.id not in taken]
    if not rest:
        return mine
    closeness = np.stack([c.vector for c in rest if c.vector is not None]) @ new.vector
    picked = mine + [rest[i] for i in np.argsort(-closeness)[:k]]
    return picked + _of_nearest_notes(others, new, {c.id for c in picked})


def _of_nearest_notes(others: Sequence[Candidate], new: Candidate, taken: set[int]) -> list[Candidate]:
    """The signals (not `taken` yet) of the NEAREST_NOTES notes whose whole-note vectors are closest to `new`'s."""
    import numpy as np

    if new.note_vector is None:
        return []
    notes: dict[int, Any] = {}
    for c in others:
        if c.note_vector is not None:
            notes.setdefault(c.note_id, c.note_vector)
    if not notes:
        return []
    ids = list(notes)
    closeness = np.stack([notes[i] for i in ids]) @ new.note_vector
    near = {ids[i] for i in np.argsort(-closeness)[:NEAREST_NOTES]}
    return [c for c in others if c.note_id in near and c.id not in taken]

"""Second reports of the same signal: same customer, same gap, possibly other words and days later.

A signal is a duplicate of an earlier one when both name the same customer (compared
without case, punctuation or legal suffix) and the same known gap, or both propose a
new gap and their excerpts are close in meaning, within a time window. The same gap at
another customer, or another gap at the same customer, is a different signal. Pure:
the store feeds candidates in and records `duplicate_of`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_SUFFIX = re.compile(r"\b(?:inc|corp|corporation|llc|ltd|plc|gmbh|ag|sa|co|company|the)\b\.?", re.I)


@lru_cache(maxsize=65536)
def customer_key(name: str | None) -> str | None:
    """`Helix Bank Inc.`, `helix bank` and `Helix Bank's` are one customer."""
    if not name:
        return None
    text = _SUFFIX.sub(" ", name.replace("’", "'")).lower()
    text = re.sub(r"'s\b", "", text)
    return " ".join(re.sub(r"[^\w&]+", " ", text).split()) or None


@dataclass
class Candidate:
    id: int
    note_id: int
    customer: str | None
    gap: str | None  # known gap slug
    new_gap: bool  # proposes a new gap
    date: dt.date | None
    vector: np.ndarray | None = None
    duplicate_of: int | None = None


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

"""What the store reads back for duplicate detection, and the customer key it is indexed by.

Below the store and the duplicate logic both: the store fills `Candidate`s and keys customers with
`customer_key`; `agent.dedupe` and the learned scorer read them.
"""

from __future__ import annotations

import datetime as dt
import re
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
    # read by the learned scorer (dedupe_model.py)
    text: str | None = None  # the note's text
    gap_probs: dict[str, float] | None = None  # a fresh draft's gap distribution ("\0new", "\0none" keys)
    competitor: str | None = None
    signal_type: str | None = None
    author: str | None = None
    note_vector: np.ndarray | None = None  # the whole note's (the excerpt's is `vector`)

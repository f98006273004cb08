"""The span tagger's labels: which word pieces of a labelled note name its customer or a competitor.

BIO tags (O, B/I-customer, B/I-competitor) placed where the note writes each name. The encoder is
tuned on these labels, so this module is part of the tuned encoder's cache key (triage/tuned_encoder.py):
anything that changes a label belongs here, and nothing else does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

TAGS = ("O", "B-customer", "I-customer", "B-competitor", "I-competitor")
KINDS = ("customer", "competitor")


class Labelled(Protocol):
    text: str
    labels: Mapping[str, Any]


class _Offsets(Protocol):
    offsets: Any


def find_all(text: str, mention: str | None) -> list[tuple[int, int]]:
    """Every place `mention` is written in `text` (exactly, else ignoring case)."""
    if not mention or not mention.strip():
        return []
    found = [(m.start(), m.end()) for m in re.finditer(re.escape(mention), text)]
    return found or [(m.start(), m.end()) for m in re.finditer(re.escape(mention), text, re.I)]


def tags(tokens: _Offsets, places: dict[str, list[tuple[int, int]]]) -> np.ndarray:
    """BIO tag ids for each word piece, given where each kind of name is written."""
    out = np.zeros(len(tokens.offsets), dtype=np.int64)
    for kind, ranges in places.items():
        begin, inside = TAGS.index(f"B-{kind}"), TAGS.index(f"I-{kind}")
        for start, end in ranges:
            first = True
            for i, (s, e) in enumerate(tokens.offsets):
                if s >= start and e <= end:
                    out[i] = begin if first else inside
                    first = False
    return out


def name_places(example: Labelled) -> dict[str, list[tuple[int, int]]]:
    """Where the note names each kind: every written form, its full name as well as its short one."""
    out = {}
    for kind in KINDS:  # a competitor's company name may also be only where the customer runs: not tagged
        forms = {example.labels.get(f"{kind}_mention")} | ({example.labels.get(kind)} if kind == "customer" else set())
        out[kind] = sorted({p for form in forms if form for p in find_all(example.text, form)})
    return out

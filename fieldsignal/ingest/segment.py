"""Split a note into short segments, one finding each, for per-gap scoring."""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*•·>]+|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Za-z0-9])")
_SPEAKER = re.compile(r"^[A-Z][\w .'-]{0,30}:\s+")


def sentences(text: str) -> list[str]:
    """Lines and sentences, bullets and speaker labels removed, empty ones dropped."""
    out: list[str] = []
    for line in text.split("\n"):
        line = _SPEAKER.sub("", _BULLET.sub("", line)).strip()
        if not line:
            continue
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s and s.strip())
    return out


def segments(text: str, min_words: int = 4, max_segments: int = 48) -> list[str]:
    """One segment per sentence; fragments under `min_words` words join a neighbour."""
    parts = sentences(text) or [text.strip()]
    merged: list[str] = []
    carry = ""
    for part in parts:
        part = f"{carry} {part}".strip() if carry else part
        carry = ""
        if len(part.split()) >= min_words:
            merged.append(part)
        elif merged:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            carry = part
    if carry:
        merged.append(carry)
    while len(merged) > max_segments:
        merged = [" ".join(merged[i : i + 2]) for i in range(0, len(merged), 2)]
    return merged

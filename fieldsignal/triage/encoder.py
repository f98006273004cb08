"""One pass of the local encoder over a note: a vector for every word piece, with its character span.

Everything the learned triage reads comes from these token vectors: the span tagger classifies each
word piece (customer, competitor or neither) and the note classifiers pool them per segment and per
note. A note longer than the encoder's window is read in overlapping windows; a word piece seen in
two windows keeps the vector of the window where it sat further from the edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

WINDOW = 256
STRIDE = 64
MAX_WINDOWS = 12  # ~2,500 word pieces: the rest of a very long note is not read


@dataclass(frozen=True)
class TokenVectors:
    """The word pieces of one text: `vectors[i]` covers `text[offsets[i, 0]:offsets[i, 1]]`."""

    vectors: np.ndarray  # (n, dim) float32
    offsets: np.ndarray  # (n, 2) int32
    cased: np.ndarray  # (n, 4) float32: capitalised, all capitals, has a digit, starts a line

    def pooled(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """The mean of the word pieces inside [start, end), L2-normalised (zeros when there are none)."""
        stop = end if end is not None else int(self.offsets[:, 1].max(initial=0))
        inside = (self.offsets[:, 0] >= start) & (self.offsets[:, 1] <= stop)
        if not inside.any():
            return np.zeros(self.vectors.shape[1], dtype=np.float32)
        mean = self.vectors[inside].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return (mean / norm if norm else mean).astype(np.float32)


class TokenEncoder:
    """Word-piece vectors from a BERT-style model exported to ONNX (see vectorstore/onnx_bert.py)."""

    def __init__(self, load: Callable[[], Any], name: str, batch_size: int = 16) -> None:
        self._load = load  # returns an OnnxBert (or anything with its `windows` and `hidden`)
        self.name = name
        self.batch_size = batch_size

    def release(self) -> None:
        """Let the model's memory go (a one-shot process that has read its note); the next use reloads it."""
        from fieldsignal.vectorstore.onnx_bert import OnnxBert

        OnnxBert.release_all()

    def encode(self, texts: Sequence[str]) -> list[TokenVectors]:
        model = self._load()
        windows = model.windows(texts, WINDOW, STRIDE, MAX_WINDOWS)
        states = model.hidden(windows, self.batch_size)
        parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in texts]
        for window, state in zip(windows, states, strict=True):
            parts[window.owner].append((window.offsets, state))
        return [_merge(text, part, model.dim) for text, part in zip(texts, parts, strict=True)]


def _merge(text: str, windows: list[tuple[np.ndarray, np.ndarray]], dim: int) -> TokenVectors:
    """One vector per word piece: of the windows that saw it, the one where it sat furthest from an edge."""
    best: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
    for offsets, states in windows:
        length = len(offsets)
        for position in range(length):
            start, end = (int(x) for x in offsets[position])
            if end <= start:
                continue  # [CLS], [SEP]
            margin = min(position, length - 1 - position)
            if (start, end) not in best or margin > best[(start, end)][0]:
                best[(start, end)] = (margin, states[position])
    spans = sorted(best)
    if not spans:
        return TokenVectors(np.zeros((0, dim), np.float32), np.zeros((0, 2), np.int32), np.zeros((0, 4), np.float32))
    vectors = np.stack([best[s][1] for s in spans]).astype(np.float32)
    return TokenVectors(vectors, np.asarray(spans, dtype=np.int32), casing(text, spans))


_LINE_START = re.compile(r"(?:^|\n)[ \t>*\-•]*$")


def casing(text: str, spans: list[tuple[int, int]]) -> np.ndarray:
    """Surface features a lower-casing tokenizer loses: how each word piece's word is written."""
    rows = []
    for start, end in spans:
        word_start = start
        while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] in "'&-"):
            word_start -= 1
        word = text[word_start:end]
        rows.append(
            (
                float(word[:1].isupper()),
                float(len(word) > 1 and word.isupper()),
                float(any(c.isdigit() for c in word)),
                float(bool(_LINE_START.search(text[max(0, word_start - 8) : word_start]))),
            )
        )
    return np.asarray(rows, dtype=np.float32)


_WORD = re.compile(r"\w+|[^\w\s]")


class HashingTokenEncoder:
    """A fake for tests of the plumbing: each word a fixed pseudo-random vector, no context, no model."""

    name = "hashing-tokens-v1"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def release(self) -> None:
        """Nothing held."""

    def encode(self, texts: Sequence[str]) -> list[TokenVectors]:
        import hashlib

        out = []
        for text in texts:
            spans = [(m.start(), m.end()) for m in _WORD.finditer(text)][: WINDOW * MAX_WINDOWS]
            rows = []
            for start, end in spans:
                seed = int.from_bytes(
                    hashlib.blake2b(text[start:end].lower().encode(), digest_size=4).digest(), "little"
                )
                rows.append(np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32))
            vectors = np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)
            offsets = np.asarray(spans, dtype=np.int32).reshape(-1, 2)
            out.append(TokenVectors(vectors, offsets, casing(text, spans).reshape(-1, 4)))
        return out

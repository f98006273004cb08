"""What a note's words mean before any tuning: the mean of the bundled MiniLM's input word-piece
embeddings (a table lookup; no transformer pass).

The tuned encoder reads well what it was tuned for (type, gap, names) and worse what it was not: the
customer's industry, 0.54 cross-writer against 0.72 with the bundled model. The bundled model's
input embeddings still carry what the words mean ("claims", "patients", "SKUs", "plant floor"), for
the price of a lookup, so the industry head reads them beside the tuned vectors.

The table (30,522 word pieces × 384) is taken from the bundled weights once, cached as a `.npy`
under the user's cache folder and memory-mapped: a note touches only its own rows. Nothing of it is
pickled with a model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def table_file() -> Path:
    """The cached input-embedding table of the bundled model (extracted now if missing)."""
    from fieldsignal.cache import building, cache_dir
    from fieldsignal.vectorstore.embedder import base_model_path

    weights = Path(base_model_path()) / "model.safetensors"
    folder = cache_dir() / "wordpieces"
    target = folder / f"{Path(base_model_path()).name}-{weights.stat().st_size}.npy"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with building(folder):
        if not target.exists():
            from safetensors import safe_open

            with safe_open(str(weights), framework="numpy") as tensors:
                key = next(k for k in tensors.keys() if k.endswith("word_embeddings.weight"))  # noqa: SIM118
                table = np.asarray(tensors.get_tensor(key), dtype=np.float32)
            partial = folder / f"{target.stem}.{os.getpid()}.npy"
            np.save(partial, table)
            partial.replace(target)  # atomic: no reader sees half a table
    return target


class WordPieceMeans:
    """Each text as the L2-normalised mean of its word pieces' input embeddings (zeros for no word piece)."""

    def __init__(self) -> None:
        self._tokenizer: Any = None
        self._table: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}  # loaded on use, never pickled with a model

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._tokenizer = None
        self._table = None

    def _load(self) -> tuple[Any, np.ndarray]:
        if self._tokenizer is None or self._table is None:
            from tokenizers import Tokenizer

            from fieldsignal.vectorstore.embedder import base_model_path

            tokenizer = Tokenizer.from_file(str(Path(base_model_path()) / "tokenizer.json"))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._tokenizer = tokenizer
            self._table = np.load(table_file(), mmap_mode="r")
        return self._tokenizer, self._table

    def features(self, texts: Sequence[str]) -> np.ndarray:
        tokenizer, table = self._load()
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if encoding.ids:
                mean = np.asarray(table[np.asarray(encoding.ids)]).mean(axis=0)
                norm = float(np.linalg.norm(mean))
                out[row] = mean / norm if norm else mean
        return out

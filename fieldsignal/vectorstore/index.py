"""The vector index: collections of gaps and signals, fed with our own vectors.

`chroma` persists under the workspace; `memory` is a numpy stand-in for tests.
Chroma never embeds anything itself here: every add passes explicit embeddings and
collections are created with no embedding function, so it never fetches a model.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fieldsignal.registry import register

GAPS = "gaps"
SIGNALS = "signals"
Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    metadata: Metadata


class VectorIndex(Protocol):
    def upsert(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[Metadata],
        documents: list[str],
    ) -> None: ...

    def query(self, collection: str, vector: np.ndarray, k: int) -> list[Hit]: ...

    def count(self, collection: str) -> int: ...

    def reset(self) -> None: ...


class MemoryIndex:
    def __init__(self) -> None:
        self._data: dict[str, dict[str, tuple[np.ndarray, Metadata]]] = {}

    def upsert(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[Metadata],
        documents: list[str],
    ) -> None:
        rows = self._data.setdefault(collection, {})
        for id_, vec, meta in zip(ids, vectors, metadatas, strict=True):
            rows[id_] = (np.asarray(vec, dtype=np.float32), meta)

    def query(self, collection: str, vector: np.ndarray, k: int) -> list[Hit]:
        rows = self._data.get(collection, {})
        if not rows:
            return []
        ids = list(rows)
        matrix = np.stack([rows[i][0] for i in ids])
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:k]
        return [Hit(ids[i], float(scores[i]), rows[ids[i]][1]) for i in order]

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def reset(self) -> None:
        self._data.clear()


class ChromaIndex:
    def __init__(self, path: Path) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(path),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True),
        )

    def _collection(self, name: str) -> Any:
        return self._client.get_or_create_collection(
            name=name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def upsert(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[Metadata],
        documents: list[str],
    ) -> None:
        if not ids:
            return
        coll = self._collection(collection)
        step = 2000  # stay under Chroma's maximum batch size
        for start in range(0, len(ids), step):
            end = start + step
            coll.upsert(
                ids=ids[start:end],
                embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                metadatas=metadatas[start:end] or None,
                documents=documents[start:end],
            )

    def query(self, collection: str, vector: np.ndarray, k: int) -> list[Hit]:
        coll = self._collection(collection)
        n = coll.count()
        if n == 0:
            return []
        res = coll.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=min(k, n))
        metas = (res.get("metadatas") or [[]])[0]
        return [
            Hit(id_, 1.0 - float(dist), dict(meta or {}))
            for id_, dist, meta in zip(res["ids"][0], res["distances"][0], metas, strict=False)
        ]

    def count(self, collection: str) -> int:
        return int(self._collection(collection).count())

    def reset(self) -> None:
        for name in (GAPS, SIGNALS):
            with contextlib.suppress(Exception):  # absent collection
                self._client.delete_collection(name)


@register("vectorstore", "chroma")
def _chroma(settings: Any) -> VectorIndex:
    return ChromaIndex(settings.chroma_path)


@register("vectorstore", "memory")
def _memory(settings: Any) -> VectorIndex:
    return MemoryIndex()

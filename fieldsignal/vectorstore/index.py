"""The vector index: collections of gaps and signals, fed with our own vectors.

`chroma` persists under the workspace; `memory` is a numpy stand-in for tests.
Chroma never embeds anything itself here: every add passes explicit embeddings and
collections are created with no embedding function, so it never fetches a model.

The index is derived data: any failure to open, read or write Chroma surfaces as one
`IndexDamaged` line, and `wipe_chroma` clears the folder (whatever state it is in) so
the workspace can rebuild it from DuckDB.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from fieldsignal.errors import FieldsignalError
from fieldsignal.registry import register

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

GAPS = "gaps"
SIGNALS = "signals"
NOTES = "notes"  # whole-note vectors, by note id: second reports told in other sentences
Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    metadata: Metadata


class IndexDamaged(FieldsignalError):
    """The vector index cannot be opened, read or written; `fieldsignal reindex` rebuilds it."""


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

    def vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]: ...

    def nearest(self, collection: str, vector: np.ndarray, k: int) -> dict[str, np.ndarray]: ...

    def nearest_each(self, collection: str, vectors: Sequence[np.ndarray], k: int) -> list[dict[str, np.ndarray]]: ...

    def count(self, collection: str) -> int: ...

    def ids(self, collection: str) -> set[str]: ...

    def delete(self, collection: str, ids: list[str]) -> None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


class IndexStorage(Protocol):
    """Where an index keeps its data, seen without opening it (registered as kind "vectorstore_storage"
    under the index's own name; an index without one keeps nothing to find or delete)."""

    def exists(self) -> bool: ...

    def wipe(self) -> None: ...


class NoStorage:
    """An index that keeps nothing between processes (filled from the log when opened)."""

    def exists(self) -> bool:
        return True

    def wipe(self) -> None:
        return None


class ChromaFolder:
    """A Chroma index's folder: it exists once created; wiped whatever state it is in."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.is_dir()

    def wipe(self) -> None:
        wipe_chroma(self.path)


class MemoryIndex:
    persistent = False  # filled from DuckDB on first use in each process: nothing to warn about

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
        import numpy as np

        rows = self._data.setdefault(collection, {})
        for id_, vec, meta in zip(ids, vectors, metadatas, strict=True):
            rows[id_] = (np.asarray(vec, dtype=np.float32), meta)

    def query(self, collection: str, vector: np.ndarray, k: int) -> list[Hit]:
        import numpy as np

        rows = self._data.get(collection, {})
        if not rows:
            return []
        ids = list(rows)
        matrix = np.stack([rows[i][0] for i in ids])
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:k]
        return [Hit(ids[i], float(scores[i]), rows[ids[i]][1]) for i in order]

    def vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        rows = self._data.get(collection, {})
        return {i: rows[i][0] for i in ids if i in rows}

    def nearest(self, collection: str, vector: np.ndarray, k: int) -> dict[str, np.ndarray]:
        rows = self._data.get(collection, {})
        return {h.id: rows[h.id][0] for h in self.query(collection, vector, k)}

    def nearest_each(self, collection: str, vectors: Sequence[np.ndarray], k: int) -> list[dict[str, np.ndarray]]:
        return [self.nearest(collection, v, k) for v in vectors]

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def ids(self, collection: str) -> set[str]:
        return set(self._data.get(collection, {}))

    def delete(self, collection: str, ids: list[str]) -> None:
        rows = self._data.get(collection, {})
        for id_ in ids:
            rows.pop(id_, None)

    def reset(self) -> None:
        self._data.clear()

    def close(self) -> None:
        pass


class ChromaIndex:
    persistent = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._client: Any = None
        self._collections: dict[str, Any] = {}  # the handles got so far (getting one is a call into Chroma)
        if str(path) in _OPENED and _OPENED[str(path)] != _identity(path):
            _forget(path)  # another process replaced the folder (reindex): this process's Chroma system is stale
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True),
            )
            for coll in self._client.list_collections():  # read every collection once: a damaged file shows here
                coll.count()
            self._identity = _OPENED[str(path)] = _identity(path)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            self.close()
            _forget(path)  # Chroma caches the half-started system of a failed open: drop it
            raise _damaged(path, "opened", exc) from None

    def stale(self) -> bool:
        """True when the folder on disk is no longer the one opened (another process rebuilt it)."""
        return _identity(self.path) != self._identity

    def _guard(self, what: str, work: Callable[[], T]) -> T:
        try:
            return work()
        except BaseException as exc:  # chromadb's Rust core can raise a PanicException (a BaseException)
            self._collections.clear()  # a handle may be what failed: get it again next time
            if isinstance(exc, KeyboardInterrupt | SystemExit | IndexDamaged):
                raise
            raise _damaged(self.path, what, exc) from None

    def _collection(self, name: str) -> Any:
        """The collection's handle, got once (an import asked Chroma for it again for each of its ~750 reads)."""
        found = self._collections.get(name)
        if found is None:
            found = self._collections[name] = self._client.get_or_create_collection(
                name=name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return found

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
        import numpy as np

        def work() -> None:
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

        self._guard("written", work)

    def query(self, collection: str, vector: np.ndarray, k: int) -> list[Hit]:
        import numpy as np

        def work() -> list[Hit]:
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

        return self._guard("read", work)

    def vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        import numpy as np

        def work() -> dict[str, np.ndarray]:
            if not ids:
                return {}
            found = self._collection(collection).get(ids=ids, include=["embeddings"])
            return {i: np.asarray(v, dtype=np.float32) for i, v in zip(found["ids"], found["embeddings"], strict=True)}

        return self._guard("read", work)

    def nearest(self, collection: str, vector: np.ndarray, k: int) -> dict[str, np.ndarray]:
        """The k nearest ids with their vectors: one query, no metadata (duplicate candidates)."""
        return self.nearest_each(collection, [vector], k)[0]

    def nearest_each(self, collection: str, vectors: Sequence[np.ndarray], k: int) -> list[dict[str, np.ndarray]]:
        """`nearest` for each vector, as one query (a batch's duplicate candidates: one call, not one a signal)."""
        import numpy as np

        def work() -> list[dict[str, np.ndarray]]:
            if not len(vectors):
                return []
            queries = [np.asarray(v, dtype=np.float32) for v in vectors]
            res = self._collection(collection).query(query_embeddings=queries, n_results=k, include=["embeddings"])
            found = res.get("embeddings")
            if found is None:
                return [{} for _ in queries]
            return [
                {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, embedded, strict=True)}
                for ids, embedded in zip(res["ids"], found, strict=True)
            ]

        return self._guard("read", work)

    def count(self, collection: str) -> int:
        return self._guard("read", lambda: int(self._collection(collection).count()))

    def ids(self, collection: str) -> set[str]:
        return self._guard("read", lambda: set(self._collection(collection).get(include=[])["ids"]))

    def delete(self, collection: str, ids: list[str]) -> None:
        if ids:
            self._guard("written", lambda: self._collection(collection).delete(ids=ids))

    def reset(self) -> None:
        self._collections.clear()
        for name in (GAPS, SIGNALS):
            with contextlib.suppress(Exception):  # absent collection
                self._client.delete_collection(name)

    def close(self) -> None:
        """Release the client (Chroma stops its system for the folder when no other client uses it)."""
        client, self._client = self._client, None
        self._collections.clear()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def wipe_chroma(path: Path) -> None:
    """Delete a Chroma folder whatever state it is in (moved aside first, so a half-deleted one never stays)."""
    _forget(path)
    if not path.exists() and not path.is_symlink():
        return
    aside = path.with_name(f"{path.name}.old-{time.time_ns()}")
    try:
        path.rename(aside)
    except OSError as exc:
        raise FieldsignalError(f"cannot move the vector index {path} aside: {exc.strerror or exc}") from None
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)


_OPENED: dict[str, tuple[int, int] | None] = {}  # folder -> identity of the database file its system opened


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = (path / "chroma.sqlite3").stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _forget(path: Path) -> None:
    """Drop (and stop) the Chroma system this process keeps for `path`: a failed open leaves a broken one."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:
        return
    for key in {str(path), str(path.resolve())}:
        _OPENED.pop(key, None)
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if system is not None:
            with contextlib.suppress(BaseException):
                system.stop()


def _damaged(path: Path, what: str, exc: BaseException) -> IndexDamaged:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return IndexDamaged(f"the vector index in {path} could not be {what} ({detail})")


@register("vectorstore", "chroma")
def _chroma(settings: Any) -> VectorIndex:
    return ChromaIndex(settings.chroma_path)


@register("vectorstore", "memory")
def _memory(settings: Any) -> VectorIndex:
    return MemoryIndex()


@register("vectorstore_storage", "chroma")
def _chroma_folder(settings: Any) -> IndexStorage:
    return ChromaFolder(settings.chroma_path)


@register("vectorstore_storage", "memory")
def _no_storage(settings: Any) -> IndexStorage:
    return NoStorage()

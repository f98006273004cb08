"""The vector index of a workspace (a component of the Workspace facade): kept whole against the log.

The log (DuckDB, or a shared PostgreSQL database) is the source of truth; the index is derived.
Opened for a command that uses it, the index is checked against the log (counts first, ids only
when they differ): signals missing from it (an import killed between its commit and the index
update) are re-added from their stored vectors, ids the log does not know are dropped, and one
warning line says so. An index that cannot be opened or read is rebuilt from the log. `reindex`
always rebuilds from scratch, whatever state the folder is in.

A shared log grows from other processes and machines: their signals are expected, so they are
added without a warning, and a long-lived process checks again every SHARED_RECHECK seconds. On a
fresh disk (a restarted Databricks App) the index is built from the log's stored vectors, with
progress lines, before it answers anything.

A short-lived writer (a CLI paste: `Workspace(one_shot=True)`) does not open the index at all: it
commits to DuckDB and leaves a marker, and the next process that reads the index adds the new
signals from their stored vectors, silently (the marker says the gap is expected).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from fieldsignal import registry
from fieldsignal.models import ImportReport, Signal
from fieldsignal.store import note_vectors
from fieldsignal.store import signals as repo
from fieldsignal.vectorstore import writers
from fieldsignal.vectorstore.index import GAPS, NOTES, SIGNALS, IndexDamaged, IndexStorage, Metadata, NoStorage
from fieldsignal.workspace_parts import Parts

log = logging.getLogger("fieldsignal.index")
PENDING = ".index-pending"  # signals committed to DuckDB for the next reader of the index to add
_OPENING = threading.RLock()  # one thread opens (or rebuilds) a workspace's index at a time
SHARED_RECHECK = 10.0  # seconds between checks of the index against a shared log (other writers add to it)
CHUNK = 2000  # signals per upsert when filling the index from the log (one progress line each)
NoteRows = tuple[list[int], Any] | None  # note ids and their whole-note vectors (rows)


class VectorIndex:
    """The workspace's vector index: opened when first needed, checked against the log, kept in step."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.current: Any = None  # the index this workspace object has open
        self.checked = False  # reconciled with the log since it was opened
        self.checked_at = 0.0
        self.opening: threading.Thread | None = None  # an import opens it beside its first batch's triage
        self._jobs: queue.Queue[Any] | None = None  # signals committed for the worker thread to index
        self._worker: threading.Thread | None = None
        self._jobs_lock = threading.Lock()

    @property
    def index(self) -> Any:
        """The vector index: opened (rebuilt if damaged), and reconciled with the log on first use."""
        self.settle()
        index = self._opened_index()
        if not self.checked or self._pending.exists() or self._shared_due():
            self._check(index)
        return index

    def _shared_due(self) -> bool:
        """A shared log's index is checked again once SHARED_RECHECK seconds have passed."""
        return self.parts.settings.shared_store and time.monotonic() - self.checked_at >= SHARED_RECHECK

    @property
    def _pending(self) -> Any:
        return self.parts.settings.home / PENDING

    def defer(self, ids: list[int]) -> None:
        """Committed signals left for the next reader of the index (the caller holds `writers.writing`)."""
        if ids:
            self._pending.parent.mkdir(parents=True, exist_ok=True)
            self._pending.touch()

    def check_now(self) -> bool:
        """Open and reconcile the index now (e.g. when the server starts); False, with one warning, if unusable."""
        if not self.parts.settings.log_exists():
            return True  # a new workspace: nothing to check yet
        try:
            self.index  # noqa: B018 - the property does the work
        except Exception as exc:
            log.warning("warning: the vector index is unusable (%s); run `fieldsignal reindex`", exc)
            return False
        return True

    def add_later(
        self, ids: list[int], vectors: Any, signals: list[Signal], holding: ExitStack, notes: NoteRows = None
    ) -> None:
        """Queue committed signals for the index worker; `holding` (the writer's lock) is released once they are in."""
        with self._jobs_lock:
            jobs = self._jobs
            if jobs is None:
                jobs = self._jobs = queue.Queue()
                self._worker = threading.Thread(target=self._work, args=(jobs,), name="index-writer", daemon=True)
                self._worker.start()
        jobs.put((ids, vectors, signals, holding, notes))

    def _work(self, jobs: queue.Queue[Any]) -> None:
        while True:
            ids, vectors, signals, holding, notes = jobs.get()
            try:
                self.add(ids, vectors, None, signals, notes)  # a failure is one warning line, as inline
            finally:
                holding.close()
                jobs.task_done()

    def settle(self) -> None:
        """Wait until the signals queued for the index are in it (from any thread but the worker's)."""
        jobs = self._jobs
        if jobs is not None and threading.current_thread() is not self._worker:
            jobs.join()

    def exists(self) -> bool:
        return self.storage().exists()

    def storage(self) -> IndexStorage:
        """Where the index keeps its data, as its backend describes it (nothing, if it registers no storage)."""
        settings = self.parts.settings
        if registry.has("vectorstore_storage", settings.vectorstore):
            storage: IndexStorage = registry.create("vectorstore_storage", settings.vectorstore, settings)
            return storage
        return NoStorage()

    def open_ahead(self) -> None:
        """Open the index on a thread of its own, beside other work (its first user waits for it)."""
        if self.current is None and self.opening is None and self.exists():
            # opening (importing Chroma: a second or more) overlaps the first batch's triage; not creating
            # it: two processes creating one Chroma folder at once collide
            self.opening = threading.Thread(target=self._open_quietly, name="open-index", daemon=True)
            self.opening.start()

    def opened_ahead(self) -> Any:
        """The index if this process has it open (waiting for one being opened ahead), else None."""
        if self.opening is not None:
            self.opening.join()  # an import opens the index beside its first batch: a second or so
        return self.current

    def finish_opening(self) -> None:
        if self.opening is not None:
            self.opening.join()  # never left half-way at exit
            self.opening = None

    def _open_quietly(self) -> None:
        """Open the index ahead of its first use (a failure is met again, and reported, by that use)."""
        try:
            self._opened_index()
        except Exception:  # met again, and reported, by the caller that needs the index
            log.debug("opening the vector index ahead of use failed", exc_info=True)

    def _opened_index(self) -> Any:
        """The index this workspace object has open; opening a damaged one rebuilds it from the log."""
        index = self.current
        if index is not None and not getattr(index, "stale", bool)():
            return index
        with _OPENING:
            index = self.current
            if index is not None and getattr(index, "stale", bool)():
                self.close()  # another process rebuilt the folder (reindex): reopen it, and check it again
                index = None
            if index is None:
                try:
                    index = self._open_index()
                except IndexDamaged as exc:
                    index = self._rebuilt(exc)
                self.current = index
        return index

    def _open_index(self) -> Any:
        settings = self.parts.settings
        return registry.create("vectorstore", settings.vectorstore, settings)

    def close(self) -> None:
        index, self.current, self.checked = self.current, None, False
        if index is not None:
            index.close()

    def _rebuilt(self, why: IndexDamaged) -> Any:
        index, counts = self._rebuild()
        log.warning("warning: %s; rebuilt it from the log (%d signals)", why, counts["signals"])
        self.checked = True
        return index

    def check_once(self) -> None:
        """Reconcile the open index with the log if this object has not yet (signals an interrupted writer left)."""
        if self.current is not None and not self.checked:
            self._check(self.current)

    def _check(self, index: Any) -> None:
        """Reconcile once per workspace object: repaired with one warning line, never an error."""
        settings = self.parts.settings
        try:
            with writers.checking(settings.home) as quiet:
                expected = self._pending.exists()  # left by writers that deferred: a gap is no surprise
                note = self._reconcile(index)
                if quiet and expected:  # no writer mid-way: every deferred signal is in the index now
                    self._pending.unlink(missing_ok=True)
        except IndexDamaged as exc:
            self.close()
            self.current = self._rebuilt(exc)
            return
        except Exception as exc:  # e.g. the database is busy: use the index unchecked this time
            log.warning("warning: the vector index was not checked against the log (%s)", exc)
            return
        self.checked, self.checked_at = True, time.monotonic()
        if settings.shared_store:
            return  # other writers' signals are expected in a shared log: added, not reported
        # with a writer mid-way, a gap may be its next update: repaired, not reported
        if note and quiet and not expected and getattr(index, "persistent", True):
            log.warning("warning: %s", note)

    def _reconcile(self, index: Any) -> str | None:
        """Make the signals collection hold exactly the log's signals; a one-line note of what was repaired."""
        ws = self.parts
        exists = ws.settings.log_exists()
        indexed = index.count(SIGNALS)  # the index first: it only ever trails the log (updated after each commit)
        if exists:
            self._reconcile_notes(index)
            with ws.store() as con:
                stored = repo.signal_count(con)
        else:
            stored = 0
        if indexed == stored:
            return None
        have = index.ids(SIGNALS)
        known: set[int] = set()
        if exists:
            with ws.store() as con:
                known = repo.signal_ids(con)
        extra = sorted(i for i in have if not i.isdigit() or int(i) not in known)
        missing = sorted(known - {int(i) for i in have if i.isdigit()})
        index.delete(SIGNALS, extra)
        if not have and len(missing) > CHUNK:
            log.warning("the vector index here is empty: building it from the log's %d signals", len(missing))
        added = self._index_from_store(index, missing)
        parts = [f"the vector index held {len(have)} signals, the log {len(known)}"]
        if missing:
            parts.append(f"re-added {added} from the log (an interrupted import?)")
        if extra:
            parts.append(f"dropped {len(extra)} the log does not have")
        return "; ".join(parts)

    def _reconcile_notes(self, index: Any) -> None:
        """Make the notes collection hold the log's note vectors, silently (derived, like the rest, and
        filled on first use in a workspace indexed before it existed)."""
        with self.parts.store() as con:
            if index.count(NOTES) == note_vectors.count(con):
                return
            known = note_vectors.ids(con)
        have = index.ids(NOTES)
        index.delete(NOTES, sorted(i for i in have if not i.isdigit() or int(i) not in known))
        self._index_notes(index, sorted(known - {int(i) for i in have if i.isdigit()}))

    def _index_notes(self, index: Any, note_ids: Sequence[int] | None) -> int:
        """Upsert these notes' (or every note's) stored whole-note vectors into the notes collection, CHUNK
        notes at a time (a statement's parameters and the memory stay small); how many."""
        if note_ids is None:
            with self.parts.store() as con:
                note_ids = sorted(note_vectors.ids(con))
        done = 0
        for start in range(0, len(note_ids), CHUNK):
            with self.parts.store() as con:
                found, matrix = note_vectors.vectors(con, note_ids[start : start + CHUNK])
            _put_notes(index, found, matrix)
            done += len(found)
        return done

    def _index_from_store(self, index: Any, ids: Sequence[int] | None) -> int:
        """Upsert signals (`ids`, or all) from their stored vectors, CHUNK at a time (a statement's parameters
        and the memory stay small); one without a stored vector is embedded."""
        ws = self.parts
        if ids is not None and not ids:
            return 0
        if not ws.settings.log_exists():
            return 0
        if ids is None:
            with ws.store() as con:
                ids = sorted(repo.signal_ids(con))
        done = 0
        for start in range(0, len(ids), CHUNK):
            wanted = list(ids[start : start + CHUNK])
            with ws.store() as con:
                signals, matrix = repo.signal_vectors(con, ids=wanted)
                have = {s.id for s in signals}
                lacking = repo.get_signals(con, [i for i in wanted if i not in have])
            if lacking:  # should not happen (vectors are saved with their signals), but never leave a hole
                signals = signals + lacking
                matrix = _stack(matrix, ws.embedder.encode([s.excerpt for s in lacking]))
            if signals:
                index.upsert(SIGNALS, [str(s.id) for s in signals], matrix, [signal_meta(s) for s in signals],
                             _docs(signals))  # fmt: skip
            done += len(signals)
            if len(ids) > CHUNK:
                log.warning("indexed %d of %d signals", done, len(ids))
        return done

    def add(
        self,
        ids: list[int],
        vectors: Any,
        report: ImportReport | None = None,
        signals: list[Signal] | None = None,
        notes: NoteRows = None,
    ) -> None:
        """Add just-committed signals (their stored rows, or read now) to the index, and their notes' vectors
        (`notes`: note ids and vectors as the writer has them, else read from the log); a failure is one
        warning."""
        if not ids:
            return
        ws = self.parts
        try:
            if signals is None:
                with ws.store() as con:
                    signals = repo.get_signals(con, ids)
            metas = [signal_meta(s) for s in signals]
            try:
                index = self._opened_index()
                index.upsert(SIGNALS, [str(i) for i in ids], vectors, metas, _docs(signals))
                if notes is not None:
                    _put_notes(index, *notes)
                else:
                    self._index_notes(index, sorted({s.note_id for s in signals}))
            except IndexDamaged as exc:  # damaged while in use: rebuilt from the log, which has these signals
                self.close()
                self.current = self._rebuilt(exc)
        except Exception as exc:
            message = f"vector index not updated ({exc}); run `fieldsignal reindex`"
            if report is not None:
                report.warnings.append(message)
            else:
                log.warning("warning: %s", message)

    def reindex(self) -> dict[str, int]:
        """Rebuild the vector index from the log (stored vectors; the model loads only if a gap text is new)."""
        self.settle()
        index, counts = self._rebuild()
        self.current, self.checked = index, True
        return counts

    def _rebuild(self) -> tuple[Any, dict[str, int]]:
        """A fresh index filled from the log: the old folder is moved aside and deleted, whatever its state."""
        ws = self.parts
        flat = gap_catalog(ws.taxonomy)
        vectors = ws.embedder.encode([t for _, t in flat])  # before the old index goes: this may load the model
        self.close()
        with writers.writing(ws.settings.home):  # a check elsewhere meanwhile sees a writer at work, not a gap
            self.storage().wipe()
            index = self._open_index()
            index.reset()
            signals = self._index_from_store(index, None)
            notes = self._index_notes(index, None) if ws.settings.log_exists() else 0
            put_gap_catalog(index, flat, vectors)
        new = ws.embedder.take_new_entries()
        if new:
            with ws.store(write=True) as con:
                repo.save_embeddings(con, ws.embedder.name, new)
        return index, {"signals": signals, "notes": notes, "gap_examples": len(flat)}


def gap_catalog(taxonomy: Any) -> list[tuple[str, str]]:
    """The known gaps' texts (name, description, examples) as (slug, text): the index's "gaps" collection."""
    return [(slug, text) for slug, texts in taxonomy.gap_texts().items() for text in texts]


def put_gap_catalog(index: Any, flat: Sequence[tuple[str, str]], vectors: Any) -> None:
    index.upsert(
        GAPS,
        [f"{slug}:{i}" for i, (slug, _) in enumerate(flat)],
        vectors,
        [{"gap": slug} for slug, _ in flat],
        [t for _, t in flat],
    )


def _put_notes(index: Any, note_ids: list[int], vectors: Any) -> None:
    """Whole-note vectors into the notes collection (no documents: the log has the texts)."""
    if note_ids:
        metas: list[Metadata] = [{"note_id": i} for i in note_ids]
        index.upsert(NOTES, [str(i) for i in note_ids], vectors, metas, [""] * len(note_ids))


def _docs(signals: Sequence[Signal]) -> list[str]:
    return [s.excerpt for s in signals]


def signal_meta(s: Signal) -> Metadata:
    meta: Metadata = {
        "signal_type": s.signal_type,
        "date": s.date.isoformat() if s.date else "",
        "note_id": s.note_id,
    }
    for key in ("gap", "category", "customer", "competitor"):
        value = getattr(s, key)
        if value:
            meta[key] = value
    return meta


def _stack(matrix: Any, fresh: Any) -> Any:
    import numpy as np

    return np.vstack([matrix, fresh]) if len(matrix) else fresh

"""Notes in, signals stored (a component of the Workspace facade): batches triaged, the LLM's pass,
accounts linked, the batch written, the vector index kept in step.

Reading files, embedding and LLM calls happen outside any database connection; the write
connection is held only for one batch's inserts, so a CLI import and the web server can
take turns on the single-writer DuckDB file. A note another writer stored meanwhile is
skipped inside that transaction, never an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, TypeVar

from fieldsignal.errors import InputError
from fieldsignal.models import ImportFailure, ImportReport, NoteInput, TriageResult
from fieldsignal.store.capture import BatchContext, batch_context
from fieldsignal.store.db import holding_store
from fieldsignal.vectorstore import writers
from fieldsignal.workspace_duplicates import Duplicates
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts
from fieldsignal.workspace_save import BATCH, BatchWriter, Saved

Progress = Callable[[int], None]
# Batches this small (a paste) read the log on a second thread while the triage reads the notes. After the
# process sat idle, this machine's first DuckDB statement took 150 ms and the encoders' passes 220 ms (memory
# left alone is slow to touch again: bench/machine_probe.py); in turn they added up, side by side they overlap.
# An import skips the notes the log holds before triaging them instead (a file imported again costs little),
# and so does a caller holding a store connection (the second thread would wait for it).
OVERLAP_UP_TO = 4
T = TypeVar("T")


class Capture:
    def __init__(
        self,
        parts: Parts,
        index: VectorIndex,
        duplicates: Duplicates,
        one_shot: bool = False,
        index_later: bool = False,
    ) -> None:
        self.parts, self.index, self.duplicates = parts, index, duplicates
        self.writer = BatchWriter(parts, index, duplicates)
        # A short-lived process writing one paste (`fieldsignal add`): it leaves new signals for the next
        # reader of the vector index to add from their stored vectors (see workspace_index), and holds
        # one model at a time (the triage's encoder is released before the excerpts are embedded).
        self.one_shot = one_shot
        # A long-lived process (the web app) adds new signals to the vector index on a worker thread, after
        # answering (readers of the index in this process wait for it; other processes see a writer at work).
        self.index_later = index_later

    def add_notes(self, items: Iterable[NoteInput | InputError], progress: Progress | None = None) -> ImportReport:
        """Triage and store notes; bad inputs are reported, never fatal; known notes are skipped."""
        report = ImportReport()
        if not self.one_shot:
            self.index.open_ahead()
        try:
            batch: list[NoteInput] = []
            for item in items:
                if isinstance(item, InputError):
                    report.failures.append(ImportFailure(source=str(item).split(":")[0], error=str(item)))
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    self._add_batch(batch, report, progress)
                    batch = []
            if batch:
                self._add_batch(batch, report, progress)
        finally:
            self.index.finish_opening()
        return report

    def _add_batch(self, notes: list[NoteInput], report: ImportReport, progress: Progress | None) -> None:
        from fieldsignal.ingest.text import content_hash  # (the ingest package: not on a read's path)

        report.notes_seen += len(notes)
        firsts = first_of_each(notes, lambda n: content_hash(n.text))
        if len(notes) <= OVERLAP_UP_TO and not holding_store():  # a paste: the log read beside the triage
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-context") as pool:
                # a lingering process (the server) reads as the writer it is about to be: the write reuses the
                # connection instead of attaching the log again once a read-only one gives way
                reading = pool.submit(self._context, list(firsts), self.parts.linger > 0)
                triaged = self.parts.triage.triage(list(firsts.values()))
                context = reading.result()
            results = [r for h, r in zip(firsts, triaged, strict=True) if h not in context.known_hashes]
        else:  # an import: notes the log holds are skipped before the triage reads them
            context = self._context(list(firsts))
            fresh = [n for h, n in firsts.items() if h not in context.known_hashes]
            results = self.parts.triage.triage(fresh) if fresh else []
        report.notes_skipped_duplicate += len(notes) - len(results)
        assisted = self.assist(results, context.customers)
        if assisted is not None:
            results = assisted.results
            report.llm_calls += assisted.calls
            report.warnings += [w for w in assisted.warnings if w not in report.warnings]
        self._store_results(results, report, context, assisted)
        if progress:
            progress(len(notes))

    def add_triaged(self, results: Iterable[TriageResult], progress: Progress | None = None) -> ImportReport:
        """Store notes triaged elsewhere (a Spark backfill's executors, by this same triage) as an import
        stores them: notes already in the log skipped, customers linked, second reports found, indexed."""
        report, stream = ImportReport(), iter(results)  # read as stored: a backfill streams millions
        while batch := list(itertools.islice(stream, BATCH)):
            firsts = first_of_each(batch, lambda r: r.note_hash)
            context = self._context(list(firsts))
            fresh = [r for h, r in firsts.items() if h not in context.known_hashes]
            report.notes_seen += len(batch)
            report.notes_skipped_duplicate += len(batch) - len(fresh)
            self._store_results(fresh, report, context, None)
            self.parts.embedder.forget()  # this batch's vectors are stored: memory stays flat over a long backfill
            if progress:
                progress(len(batch))
        return report

    def _context(self, hashes: list[str], write: bool = False) -> BatchContext:
        """What a batch is triaged and linked against, in one connection: which of its notes the log holds
        already, and the customers (with their industries) a note may be linked to."""
        with self.parts.store(write) as con:
            return batch_context(con, hashes, from_signals=self.parts.learn)

    def _store_results(
        self, results: list[TriageResult], report: ImportReport, context: BatchContext, assisted: Any
    ) -> None:
        triage = self.parts.triage
        # "BWM" → the account, its industry; without a CRM's list, the log's customers are all there is to link to
        results = triage.link_accounts(results, context.customers, context.industries, complete=context.listed)
        if results:
            self.duplicates.scorer  # noqa: B018 - loaded (or fitted) while the triage's encoder is still loaded
        if self.one_shot:
            triage.encoder.release()  # read: its memory goes before the excerpt embedder's comes
        saved = Saved()
        if results:
            with ExitStack() as holding:  # the writer's lock, from before the commit until the index has them
                holding.enter_context(writers.writing(self.parts.settings.home))
                saved = self.writer.save(results, assisted)
                if self.one_shot and self.index.current is None:
                    self.index.defer(saved.ids)
                elif self.index_later:
                    self.index.add_later(saved.ids, saved.vectors, saved.signals, holding.pop_all(), saved.notes)
                else:
                    self.index.add(saved.ids, saved.vectors, report, saved.signals, saved.notes)
        report.notes_skipped_duplicate += len(results) - len(saved.results)  # stored by another writer meanwhile
        report.duplicates_linked += saved.duplicates
        report.duplicates_asked += saved.asked
        report.notes_added += len(saved.results)
        report.signals_added += len(saved.ids)
        report.queued_for_review += sum(d.needs_review for r in saved.results for d in r.signals)
        report.signal_ids.extend(saved.ids)
        report.signals.extend(saved.signals)
        self.index.check_once()  # once per workspace: signals an interrupted writer left unindexed

    def triage_notes(self, notes: list[NoteInput]) -> list[TriageResult]:
        """Triage without storing (eval, previews): offline, then the LLM's pass when configured."""
        results = self.parts.triage.triage(notes)
        assisted = self.assist(results, ())
        return assisted.results if assisted is not None else results

    def assist(self, results: list[TriageResult], customers: tuple[str, ...]) -> Any:
        """The LLM's pass over the uncertain results (None when no endpoint is configured)."""
        llm = self.parts.llm
        if llm is None or not results:
            return None
        from fieldsignal.store.db import release_before_network
        from fieldsignal.store.llm import lookup_cache

        def cached(keys: list[str]) -> dict[str, str]:
            if not self.parts.settings.log_exists():
                return {}
            with self.parts.store() as con:
                return lookup_cache(con, keys)

        release_before_network("LLM triage")  # each call may take a while: no store connection across them
        return llm.refine(results, cached, customers)


def first_of_each(items: Sequence[T], content: Callable[[T], str]) -> dict[str, T]:
    """The first of the items with each content hash (a note given twice in one batch is stored once)."""
    firsts: dict[str, T] = {}
    for item in items:
        firsts.setdefault(content(item), item)
    return firsts

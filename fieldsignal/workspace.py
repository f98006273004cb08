"""The core API the interfaces call: a workspace (settings, taxonomy, store, backends).

Reading files, embedding and LLM calls happen outside any database connection; the write
connection is held only for one batch's inserts, so a CLI import and the web server can
take turns on the single-writer DuckDB file. A note another writer stored meanwhile is
skipped inside that transaction, never an error.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cached_property
from typing import Any, TypeVar

from fieldsignal import registry
from fieldsignal.errors import FieldsignalError, InputError
from fieldsignal.models import (
    ImportFailure,
    ImportReport,
    NoteInput,
    Signal,
    StatusChange,
    Tally,
    TriageResult,
)
from fieldsignal.settings import Settings
from fieldsignal.store import open_store, transaction
from fieldsignal.store import signals as repo
from fieldsignal.store.accounts import customer_industries
from fieldsignal.store.tally import tally as run_tally
from fieldsignal.taxonomy import Gap, Taxonomy, load_taxonomy, with_gaps, with_promoted_gaps
from fieldsignal.vectorstore import writers
from fieldsignal.workspace_accounts import AccountList
from fieldsignal.workspace_curation import Curation, resolved_filter
from fieldsignal.workspace_duplicates import DuplicateReview
from fieldsignal.workspace_index import IndexSync
from fieldsignal.workspace_insights import Insights
from fieldsignal.workspace_labelled import LabelledImport
from fieldsignal.workspace_log import LogAdmin
from fieldsignal.workspace_save import BATCH, BatchSave, Saved

PROMOTED_GAPS = "gaps.toml"  # where earlier versions kept promoted gaps (still read); now in the log
Progress = Callable[[int], None]
T = TypeVar("T")


class Workspace(Insights, LabelledImport, IndexSync, BatchSave, AccountList, LogAdmin, Curation, DuplicateReview):
    def __init__(
        self,
        settings: Settings,
        taxonomy: Taxonomy | None = None,
        learn: bool = True,
        one_shot: bool = False,
        linger: float = 0.0,
        index_later: bool = False,
    ) -> None:
        self.settings = settings
        self._taxonomy = taxonomy
        self.learn = learn
        # A short-lived process writing one paste (`fieldsignal add`): it leaves new signals for the next
        # reader of the vector index to add from their stored vectors (see workspace_index), and holds
        # one model at a time (the triage's encoder is released before the excerpts are embedded).
        self.one_shot = one_shot
        # A long-lived process serving requests (the web app): its database connection stays open this
        # many idle seconds for the next request (see store.db.open_store).
        self.linger = linger
        # ... and it adds new signals to the vector index on a worker thread, after answering (readers of
        # the index in this process wait for it; other processes see a writer at work, as before).
        self.index_later = index_later

    # ---------------------------------------------------------------- parts
    @cached_property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is not None:
            return self._taxonomy
        taxonomy = with_promoted_gaps(load_taxonomy(self.settings.taxonomy), self.settings.home / PROMOTED_GAPS)
        if not self.settings.log_exists():
            return taxonomy
        from fieldsignal.store.gaps import promoted_gaps

        with self.store() as con:
            return with_gaps(taxonomy, promoted_gaps(con), "promoted gaps in the log")

    @contextmanager
    def store(self, write: bool = False) -> Iterator[Any]:
        timeout = self.settings.lock_timeout_seconds
        where, instance = self.settings.store, self.settings.database_instance
        with open_store(where, write=write, timeout=timeout, linger=self.linger, instance=instance) as con:
            yield con

    @cached_property
    def embedder(self) -> Any:
        from fieldsignal.vectorstore.embedder import CachedEmbedder

        inner = registry.create("embedder", self.settings.embedder, self.settings)
        return CachedEmbedder(inner, lookup=self._lookup_embeddings)

    def _lookup_embeddings(self, keys: list[str]) -> dict[str, Any]:
        if not self.settings.log_exists():
            return {}
        with self.store() as con:
            return repo.lookup_embeddings(con, keys)

    @property
    def triage(self) -> Any:
        """The triage, built (or loaded from the cache) once per workspace object, by one thread."""
        built = self.__dict__.get("triage")
        if built is None:
            with self.__dict__.setdefault("_triage_lock", threading.Lock()):
                built = self.__dict__.get("triage")
                if built is None:
                    built = self.__dict__["triage"] = self.build_triage()
        return built

    def build_triage(self, progress: Callable[[str, int, int], None] | None = None) -> Any:
        """The corpus-trained triage (built once and cached), with this workspace's corrections."""
        from fieldsignal.learned_triage import assemble_triage
        from fieldsignal.triage.shipped import correction_examples

        return assemble_triage(self.settings, self.taxonomy, correction_examples(self.labelled()), progress)

    def labelled(self) -> list[Any]:
        """The reviewed corrections the triage learns from (none in an evaluation workspace)."""
        if not self.learn or not self.settings.log_exists():
            return []  # an evaluation workspace learns nothing
        from fieldsignal.store.review import labelled_examples

        with self.store() as con:
            return labelled_examples(con)

    # ---------------------------------------------------------------- capture
    def add_notes(self, items: Iterable[NoteInput | InputError], progress: Progress | None = None) -> ImportReport:
        """Triage and store notes; bad inputs are reported, never fatal; known notes are skipped."""
        report = ImportReport()
        opening = None
        if not self.one_shot and "_index" not in self.__dict__ and self._index_exists():
            # opening the vector index (importing Chroma: a second or more) overlaps the first batch's triage
            # (not creating it: two processes creating one Chroma folder at once collide)
            opening = threading.Thread(target=self._open_index_quietly, name="open-index", daemon=True)
            self.__dict__["_opening"] = opening  # a batch that needs the index meanwhile waits for it
            opening.start()
        try:
            self._add_all(items, report, progress)
        finally:
            if opening is not None:
                opening.join()  # never left half-way at exit
        return report

    def _add_all(
        self, items: Iterable[NoteInput | InputError], report: ImportReport, progress: Progress | None
    ) -> None:
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

    def _add_batch(self, notes: list[NoteInput], report: ImportReport, progress: Progress | None) -> None:
        from fieldsignal.ingest.text import content_hash  # (the ingest package: not on a read's path)

        report.notes_seen += len(notes)
        fresh, customers, industries = self._before_batch(notes, lambda n: content_hash(n.text))
        report.notes_skipped_duplicate += len(notes) - len(fresh)
        results = self.triage.triage(fresh) if fresh else []
        assisted = self._assist(results, customers)
        if assisted is not None:
            results = assisted.results
            report.llm_calls += assisted.calls
            report.warnings += [w for w in assisted.warnings if w not in report.warnings]
        self._store_results(results, report, customers, industries, assisted)
        if progress:
            progress(len(notes))

    def _before_batch(
        self, items: Sequence[T], content: Callable[[T], str]
    ) -> tuple[list[T], tuple[str, ...], dict[str, str]]:
        """What a batch is triaged and linked against, in one connection: its notes (the first of any given
        twice, by content hash) that the log does not hold yet, and the customers (with their industries)
        a note may be linked to."""
        by_hash: dict[str, T] = {}
        for item in items:
            by_hash.setdefault(content(item), item)
        with self.store() as con:
            known = repo.known_note_hashes(con, list(by_hash))
            customers = tuple(repo.known_customers(con, from_signals=self.learn))
            industries = customer_industries(con, from_signals=self.learn)
        return [item for h, item in by_hash.items() if h not in known], customers, industries

    def _store_results(
        self,
        results: list[TriageResult],
        report: ImportReport,
        customers: tuple[str, ...],
        industries: dict[str, str],
        assisted: Any,
    ) -> None:
        results = self.triage.link_accounts(results, customers, industries)  # "BWM" → the account, its industry
        if results:
            self.duplicate_scorer  # noqa: B018 - loaded (or fitted) while the triage's encoder is still loaded
        if self.one_shot:
            self.triage.encoder.release()  # read: its memory goes before the excerpt embedder's comes
        saved = Saved()
        if results:
            with ExitStack() as holding:  # the writer's lock, from before the commit until the index has them
                holding.enter_context(writers.writing(self.settings.home))
                saved = self._save(results, assisted)
                if self.one_shot and "_index" not in self.__dict__:
                    self._defer_index(saved.ids)
                elif self.index_later:
                    self._index_later(saved.ids, saved.vectors, saved.signals, holding.pop_all())
                else:
                    self._index_signals(saved.ids, saved.vectors, report, saved.signals)
        report.notes_skipped_duplicate += len(results) - len(saved.results)  # stored by another writer meanwhile
        report.duplicates_linked += saved.duplicates
        report.duplicates_asked += saved.asked
        report.notes_added += len(saved.results)
        report.signals_added += len(saved.ids)
        report.queued_for_review += sum(d.needs_review for r in saved.results for d in r.signals)
        report.signal_ids.extend(saved.ids)
        report.signals.extend(saved.signals)
        index = self.__dict__.get("_index")
        if index is not None and not self.__dict__.get("_index_checked"):
            self._check(index)  # once per workspace: signals an interrupted writer left unindexed

    def triage_notes(self, notes: list[NoteInput]) -> list[TriageResult]:
        """Triage without storing (eval, previews): offline, then the LLM's pass when configured."""
        results = self.triage.triage(notes)
        assisted = self._assist(results, ())
        return assisted.results if assisted is not None else results

    def _assist(self, results: list[TriageResult], customers: tuple[str, ...]) -> Any:
        """The LLM's pass over the uncertain results (None when no endpoint is configured)."""
        if self.llm is None or not results:
            return None
        from fieldsignal.store.db import release_before_network
        from fieldsignal.store.llm import lookup_cache

        def cached(keys: list[str]) -> dict[str, str]:
            if not self.settings.log_exists():
                return {}
            with self.store() as con:
                return lookup_cache(con, keys)

        release_before_network("LLM triage")  # each call may take a while: no store connection across them
        return self.llm.refine(results, cached, customers)

    @cached_property
    def llm(self) -> Any:
        """The LLM assistant, or None when the workspace is offline (no model, or llm_use = never)."""
        if not self.settings.llm_enabled:
            return None
        from fieldsignal.agent.llm.assist import LLMAssist

        return LLMAssist(
            chat=registry.create("llm", self.settings.llm_provider, self.settings),
            taxonomy=self.taxonomy,
            use=self.settings.llm_use,
            concurrency=self.settings.llm_concurrency,
            redact_customers=self.settings.llm_redact_customers,
            examples=self._nearest_examples,
        )

    def _nearest_examples(self, result: TriageResult) -> list[tuple[str, str]]:
        """The training notes nearest this one, with their gaps: the LLM's worked examples."""
        return [(gap or "null", text) for gap, text in self.triage.nearest(result.note.text, 4)]

    # ---------------------------------------------------------------- read
    def list_signals(self, filters: repo.SignalFilter | None = None) -> list[Signal]:
        """The log, newest first; a filter's gap, type, status and category are read as `review fix` reads
        them (slug or name, case and spaces ignored, an unambiguous start), and an unknown one is an error."""
        f = resolved_filter(self.taxonomy, filters or repo.SignalFilter())
        with self.store() as con:
            return repo.list_signals(con, f)

    def show(self, signal_id: int) -> dict[str, Any]:
        with self.store() as con:
            return repo.signal_details(con, signal_id)

    def signals(self, signal_ids: list[int]) -> list[Signal]:
        """These signals' rows, in this order (one query; `show` adds the note, history and review)."""
        if not signal_ids:
            return []
        with self.store() as con:
            return repo.get_signals(con, signal_ids)

    def show_many(self, signal_ids: list[int]) -> list[dict[str, Any]]:
        """The details of each id that exists (unknown ids are left out)."""
        from fieldsignal.errors import NotFoundError

        found = []
        with self.store() as con:
            for signal_id in signal_ids:
                try:
                    found.append(repo.signal_details(con, signal_id))
                except NotFoundError:
                    continue
        return found

    def review_queue(self) -> list[tuple[Signal, str]]:
        with self.store() as con:
            return repo.review_queue(con)

    def tally(self, by: str = "gap", since: dt.date | None = None, until: dt.date | None = None) -> Tally:
        with self.store() as con:
            return run_tally(con, by, since, until)

    # ---------------------------------------------------------------- change
    def set_status(
        self, signal_id: int, status: str, who: str, why: str | None = None, ticket: str | None = None
    ) -> StatusChange:
        now = dt.datetime.now().replace(microsecond=0)
        with self.store(write=True) as con:
            return repo.set_status(con, self.taxonomy, signal_id, status, who, why, ticket, now)

    def review(self, signal_id: int, who: str, fix: Any = None, rebuild: bool = True) -> Signal:
        """Accept (fix None) or fix a queued signal; the triage learns from it at once."""
        from fieldsignal.store.review import resolve

        now = dt.datetime.now().replace(microsecond=0)
        with self.store(write=True) as con, transaction(con):
            signal = resolve(con, self.taxonomy, signal_id, who, now, fix)
        if rebuild:
            self.__dict__.pop("triage", None)  # rebuilt with the new example on next use
        return signal

    # ---------------------------------------------------------------- new gaps
    def proposals(self) -> list[Any]:
        """Signals proposing a new gap, grouped into candidate gaps."""
        from fieldsignal.agent.discovery import cluster

        with self.store() as con:
            signals, vectors = repo.signal_vectors(con, proposals_only=True)
        return cluster(signals, vectors)

    def settle_proposal(
        self, proposal_id: str, action: str, who: str, into: str | None = None, gap: Gap | None = None
    ) -> list[Signal]:
        """`promote` (with `gap`), `merge` (`into` a known gap) or `dismiss` a proposal's signals."""
        from fieldsignal.errors import NotFoundError
        from fieldsignal.store.review import Fix

        found = next((p for p in self.proposals() if p.id.lower() == proposal_id.lower()), None)
        if found is None:
            raise NotFoundError(f"no proposed gap {proposal_id!r} (see `fieldsignal gaps`)")
        if action == "promote":
            if gap is None or self.taxonomy.resolve_gap(gap.slug) or self.taxonomy.resolve_gap(gap.name):
                raise FieldsignalError(f"a gap named {gap.name if gap else '?'!r} already exists: use merge")
            from fieldsignal.store.gaps import add_promoted_gap

            with self.store(write=True) as con:
                if not add_promoted_gap(con, gap.model_dump(), who, dt.datetime.now().replace(microsecond=0)):
                    raise FieldsignalError(f"a gap with the slug {gap.slug!r} was promoted meanwhile: use merge")
            self.__dict__.pop("taxonomy", None)
            target = gap.slug
        elif action == "merge":
            known = self.taxonomy.resolve_gap(into)
            if known is None:
                raise FieldsignalError(f"unknown gap {into!r} to merge into")
            target = known.slug
        else:
            target = "none"
        settled = [self.review(s.id, who, Fix(gap=target), rebuild=False) for s in found.signals]
        self.__dict__.pop("triage", None)
        return settled

    # ---------------------------------------------------------------- learning
    def train(self, progress: Callable[[str, int, int], None] | None = None) -> Any:
        """Build (or find cached) the triage model from the corpus, with this workspace's corrections.

        The first build reads the whole corpus (a few minutes on 2 cores); later ones load the cache.
        """
        with self.__dict__.setdefault("_triage_lock", threading.Lock()):
            self.__dict__["triage"] = self.build_triage(progress)
        self.__dict__["_duplicate_scorer"] = self.build_duplicate_scorer(progress)
        return self.__dict__["triage"]

    def triage_ready(self, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Load the triage now (reporting progress when it has to be built), not at the first note."""
        if "triage" not in self.__dict__:
            self.train(progress)

    def warm_up(self, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Everything a paste needs, loaded now: the triage, both encoders run once, the vector index."""
        from fieldsignal.ingest import note_from_text

        self.triage_ready(progress)
        self.triage.triage([note_from_text("warm up: Acme lost to Snowflake over SSO, $10k")])
        self.embedder.inner.encode(["warm up"])
        self.check_index()

    def reset(self) -> None:
        """Delete the workspace's data (used by `demo` on its own folder; never a shared log)."""
        from fieldsignal.store.db import close_idle

        if self.settings.shared_store:
            raise FieldsignalError("reset deletes a workspace's own log; it does not touch a shared PostgreSQL log")
        self.settle_index()
        self._close_index()
        close_idle()
        for path in (self.settings.db_path, self.settings.chroma_path):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        wal = self.settings.db_path.with_suffix(".duckdb.wal")
        if wal.exists():
            wal.unlink()

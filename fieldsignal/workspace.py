"""The core API the interfaces call: a workspace (settings, taxonomy, log, models, vector index).

`Workspace` is a facade: one typed class whose methods are what the CLI, the web app, the evaluation
and a backfill call. The work is done by its components, each in a module of its own and each given
the `Parts` it needs (settings, taxonomy, log, embedder, triage, LLM), never the facade:

- `capture` (workspace_capture): notes in, triaged, linked, written, indexed
- `vector_index` (workspace_index): the Chroma index, kept whole against the log
- `duplicates` (workspace_duplicates): the duplicate scorer and "same signal?" answers
- `curation` (workspace_curation): review fixes, rejections, proposed gaps
- `insights` (workspace_insights): memo drafts, metrics, questions, LLM usage
- `accounts_list`, `labelled_import`, `log_admin`: the account list, `import --labeled`, the log itself
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fieldsignal.errors import FieldsignalError, InputError
from fieldsignal.models import ImportReport, NoteInput, Signal, StatusChange, Tally, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.store import signals as repo
from fieldsignal.store.tally import tally as run_tally
from fieldsignal.taxonomy import Gap, Taxonomy
from fieldsignal.workspace_accounts import AccountList, AccountsAdded
from fieldsignal.workspace_capture import Capture, Progress
from fieldsignal.workspace_curation import Curation, resolved_filter
from fieldsignal.workspace_duplicates import Duplicates
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_insights import Insights
from fieldsignal.workspace_labelled import LabelledImport
from fieldsignal.workspace_log import LogAdmin
from fieldsignal.workspace_parts import ModelProgress, Parts

if TYPE_CHECKING:
    from fieldsignal.dedupe.model import DuplicateScorer
    from fieldsignal.ingest.accounts import Account
    from fieldsignal.ingest.labelled import LabelledRow
    from fieldsignal.store.copy import TableCopy


class Workspace:
    def __init__(
        self,
        settings: Settings,
        taxonomy: Taxonomy | None = None,
        learn: bool = True,
        one_shot: bool = False,
        linger: float = 0.0,
        index_later: bool = False,
    ) -> None:
        """`learn=False`: an evaluation workspace (the log's corrections are not learnt); `one_shot`: a
        short-lived process writing one paste; `linger`: seconds a served process keeps its database
        connection open between requests; `index_later`: new signals go to the vector index on a worker
        thread, after answering (the web app)."""
        self.parts = Parts(settings, taxonomy, learn, linger)
        self.vector_index = VectorIndex(self.parts)
        self.duplicates = Duplicates(self.parts)
        self.capture = Capture(self.parts, self.vector_index, self.duplicates, one_shot, index_later)
        self.curation = Curation(self.parts, self.vector_index)
        self.insights = Insights(self.parts, self.vector_index)
        self.accounts_list = AccountList(self.parts)
        self.labelled_import = LabelledImport(self.parts, self.vector_index)
        self.log_admin = LogAdmin(self.parts, self.vector_index)

    # ---------------------------------------------------------------- parts
    @property
    def settings(self) -> Settings:
        return self.parts.settings

    @property
    def taxonomy(self) -> Taxonomy:
        return self.parts.taxonomy

    @contextmanager
    def store(self, write: bool = False) -> Iterator[Any]:
        with self.parts.store(write) as con:
            yield con

    @property
    def embedder(self) -> Any:
        return self.parts.embedder

    @property
    def triage(self) -> Any:
        """The triage, built (or loaded from the cache) once per workspace object, by one thread."""
        return self.parts.triage

    @property
    def triage_loaded(self) -> bool:
        return self.parts.triage_loaded

    def learn_ahead(self, after: float | None) -> None:
        """A running server: learn each burst of reviews `after` seconds past its last one, on a worker
        thread, not at the next note; None stops it."""
        self.parts.learn_ahead(after)

    def forget_triage(self) -> None:
        """Build the triage again at its next use, learning the corrections reviewed meanwhile."""
        self.parts.forget_triage()

    @property
    def llm(self) -> Any:
        """The LLM assistant, or None when the workspace is offline (no model, or llm_use = never)."""
        return self.parts.llm

    @property
    def index(self) -> Any:
        """The vector index: opened (rebuilt if damaged), and reconciled with the log on first use."""
        return self.vector_index.index

    @property
    def duplicate_scorer(self) -> DuplicateScorer | None:
        return self.duplicates.scorer

    @property
    def desk(self) -> Any:
        """Memo drafts: compose, edit, approve, publish."""
        return self.insights.desk

    def labelled(self) -> list[Any]:
        """The reviewed corrections the triage learns from (none in an evaluation workspace)."""
        return self.parts.labelled()

    # ---------------------------------------------------------------- capture
    def add_notes(self, items: Iterable[NoteInput | InputError], progress: Progress | None = None) -> ImportReport:
        """Triage and store notes; bad inputs are reported, never fatal; known notes are skipped."""
        return self.capture.add_notes(items, progress)

    def add_triaged(self, results: Iterable[TriageResult], progress: Progress | None = None) -> ImportReport:
        """Store notes triaged elsewhere (a Spark backfill) as an import stores them."""
        return self.capture.add_triaged(results, progress)

    def triage_notes(self, notes: list[NoteInput]) -> list[TriageResult]:
        """Triage without storing (eval, previews): offline, then the LLM's pass when configured."""
        return self.capture.triage_notes(notes)

    def import_labelled(self, items: Iterable[LabelledRow | InputError]) -> ImportReport:
        """Rows stored as labelled: no triage, no duplicate linking."""
        return self.labelled_import.import_labelled(items)

    def add_accounts(self, accounts: Sequence[str | Account], source: str) -> AccountsAdded:
        return self.accounts_list.add_accounts(accounts, source)

    def accounts(self) -> list[str]:
        return self.accounts_list.accounts()

    def account_industries(self, every: bool = False) -> dict[str, str | None]:
        return self.accounts_list.account_industries(every)

    # ---------------------------------------------------------------- read
    def list_signals(self, filters: repo.SignalFilter | None = None) -> list[Signal]:
        """The log, newest first; a filter's gap, type, status and category are read as `review fix` reads
        them (slug or name, case and spaces ignored, an unambiguous start), and an unknown one is an error."""
        f = resolved_filter(lambda: self.taxonomy, filters or repo.SignalFilter())
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
        return self.curation.review(signal_id, who, fix, rebuild)

    def reject(self, signal_id: int, why: str, who: str) -> Signal:
        return self.curation.reject(signal_id, why, who)

    def restore(self, signal_id: int, who: str, why: str | None = None) -> Signal:
        return self.curation.restore(signal_id, who, why)

    def duplicate_questions(self) -> dict[int, tuple[int, float]]:
        """Open "same signal?" questions: signal → (the earlier signal it may repeat, probability)."""
        return self.duplicates.questions()

    def mark_same(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> int:
        return self.duplicates.mark_same(signal_id, original_id, who)

    def mark_distinct(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> list[int]:
        return self.duplicates.mark_distinct(signal_id, original_id, who)

    def unmerge(self, signal_id: int, who: str = "reviewer") -> int:
        return self.duplicates.unmerge(signal_id, who)

    # ---------------------------------------------------------------- new gaps
    def proposals(self) -> list[Any]:
        """Signals proposing a new gap, grouped into candidate gaps."""
        return self.curation.proposals()

    def settle_proposal(
        self, proposal_id: str, action: str, who: str, into: str | None = None, gap: Gap | None = None
    ) -> list[Signal]:
        return self.curation.settle_proposal(proposal_id, action, who, into, gap)

    def promote(
        self, proposal_id: str, name: str, category: str, who: str, use_case: str = "", description: str = ""
    ) -> tuple[Gap, list[Signal]]:
        return self.curation.promote(proposal_id, name, category, who, use_case, description)

    # ---------------------------------------------------------------- insights
    def ask(self, question: str, today: dt.date | None = None) -> Any:
        """An exact answer with its SQL and signal ids, or (not understood) the closest signals."""
        return self.insights.ask(question, today)

    def similar(self, signal_id: int, limit: int = 5) -> list[tuple[Signal, float]]:
        """Other notes' signals nearest in meaning to this one, with their cosine (see Insights.similar)."""
        return self.insights.similar(signal_id, limit)

    def gap_overview(self, gap: str) -> dict[str, Any]:
        return self.insights.gap_overview(gap)

    def weekly_by_category(self, weeks: int = 12) -> dict[str, dict[str, int]]:
        return self.insights.weekly_by_category(weeks)

    def metrics(self, today: dt.date, weeks: int = 8) -> Any:
        return self.insights.metrics(today, weeks)

    def llm_usage(self, since: dt.date | None = None) -> list[Any]:
        return self.insights.llm_usage(since)

    # ---------------------------------------------------------------- the log and its index
    def describe_log(self) -> dict[str, Any]:
        return self.log_admin.describe_log()

    def copy_log_to(self, target: str, progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
        return self.log_admin.copy_log_to(target, progress)

    def check_index(self) -> bool:
        """Open and reconcile the index now (e.g. when the server starts); False, with one warning, if unusable."""
        return self.vector_index.check_now()

    def settle_index(self) -> None:
        """Wait until the signals queued for the index are in it."""
        self.vector_index.settle()

    def reindex(self) -> dict[str, int]:
        """Rebuild the vector index from the log."""
        return self.vector_index.reindex()

    # ---------------------------------------------------------------- learning
    def train(self, progress: ModelProgress | None = None) -> Any:
        """Build (or find cached) the triage model from the corpus, with this workspace's corrections.

        The first build reads the whole corpus (a few minutes on 2 cores); later ones load the cache.
        """
        triage = self.parts.load_triage(progress)
        self.duplicates.load_scorer(progress)
        return triage

    def triage_ready(self, progress: ModelProgress | None = None) -> None:
        """Load the triage now (reporting progress when it has to be built), not at the first note."""
        if not self.parts.triage_loaded:
            self.train(progress)

    def warm_up(self, progress: ModelProgress | None = None) -> None:
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
        self.vector_index.settle()
        self.vector_index.close()
        close_idle()
        for path in (self.settings.db_path, self.settings.chroma_path):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        wal = self.settings.db_path.with_suffix(".duckdb.wal")
        if wal.exists():
            wal.unlink()

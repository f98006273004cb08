"""What every part of a workspace works with: its settings, taxonomy, log, embedder, triage and LLM.

The `Workspace` facade owns one `Parts` and hands it to each of its components (capture, index,
duplicates, curation, insights, accounts, log admin); the components never import the facade.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from fieldsignal import registry
from fieldsignal.models import TriageResult
from fieldsignal.settings import Settings
from fieldsignal.store import open_store
from fieldsignal.store import signals as repo
from fieldsignal.taxonomy import Taxonomy, load_taxonomy, with_gaps, with_promoted_gaps

PROMOTED_GAPS = "gaps.toml"  # where earlier versions kept promoted gaps (still read); now in the log
ModelProgress = Callable[[str, int, int], None]


class Parts:
    def __init__(self, settings: Settings, taxonomy: Taxonomy | None = None, learn: bool = True, linger: float = 0.0):
        self.settings = settings
        self._given_taxonomy = taxonomy
        self.learn = learn  # an evaluation workspace learns nothing from the log's corrections
        # A long-lived process serving requests (the web app): its database connection stays open this
        # many idle seconds for the next request (see store.db.open_store).
        self.linger = linger
        self._triage: Any = None
        self._triage_lock = threading.Lock()
        self._corrections_seen = 0  # bumped by each forget_triage: a build started before it is stale
        # A running server learns reviews ahead (see learn_ahead): seconds after the last review, not when
        # the next note comes.
        self.relearn_after: float | None = None
        self._relearn: threading.Timer | None = None

    # ---------------------------------------------------------------- taxonomy and log
    @cached_property
    def taxonomy(self) -> Taxonomy:
        if self._given_taxonomy is not None:
            return self._given_taxonomy
        taxonomy = with_promoted_gaps(load_taxonomy(self.settings.taxonomy), self.settings.home / PROMOTED_GAPS)
        if not self.settings.log_exists():
            return taxonomy
        from fieldsignal.store.gaps import promoted_gaps

        with self.store() as con:
            return with_gaps(taxonomy, promoted_gaps(con), "promoted gaps in the log")

    def forget_taxonomy(self) -> None:
        """Read the taxonomy again at its next use (a gap was promoted into the log)."""
        self.__dict__.pop("taxonomy", None)

    @contextmanager
    def store(self, write: bool = False) -> Iterator[Any]:
        timeout = self.settings.lock_timeout_seconds
        where, instance = self.settings.store, self.settings.database_instance
        with open_store(where, write=write, timeout=timeout, linger=self.linger, instance=instance) as con:
            yield con

    # ---------------------------------------------------------------- models
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
        """The triage, built (or loaded from the cache) once, by one thread."""
        built = self._triage
        if built is None:
            with self._triage_lock:
                built = self._triage
                if built is None:
                    built = self._build_now()
        return built

    @property
    def triage_loaded(self) -> bool:
        return self._triage is not None

    def forget_triage(self) -> None:
        """Build the triage again at its next use (it learns the corrections reviewed meanwhile); when
        learning ahead, once no review has come for `relearn_after` seconds."""
        self._corrections_seen += 1
        self._triage = None
        if self._relearn is not None:
            self._relearn.cancel()  # a burst of reviews is learnt once, after its last review
        if self.relearn_after is not None and self.learn:
            self._relearn = threading.Timer(self.relearn_after, self._build_ahead)
            self._relearn.daemon = True
            self._relearn.start()

    def learn_ahead(self, after: float | None) -> None:
        """Learn reviews `after` seconds past the last one, on a worker thread (a served workspace: the refit
        takes seconds, which the next paste would otherwise wait for); None stops it."""
        if self._relearn is not None:
            self._relearn.cancel()
        self.relearn_after, self._relearn = after, None

    def _build_ahead(self) -> None:
        with self._triage_lock:
            if self._triage is None:
                try:
                    self._build_now()
                except Exception:  # the next note builds it again, and says what failed
                    return

    def load_triage(self, progress: ModelProgress | None = None) -> Any:
        """Build (or load from the cache) the triage now, reporting progress when it has to be built."""
        with self._triage_lock:
            return self._build_now(progress)

    def _build_now(self, progress: ModelProgress | None = None) -> Any:
        """Build under `_triage_lock`; kept only if no correction was reviewed while it was being built."""
        seen = self._corrections_seen
        built = self.build_triage(progress)
        if seen == self._corrections_seen:
            self._triage = built
        return built

    def build_triage(self, progress: ModelProgress | None = None) -> Any:
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

    @cached_property
    def llm(self) -> Any:
        """The LLM assistant, or None when the workspace is offline (no model, or llm_use = never)."""
        if not self.settings.llm_enabled:
            return None
        from fieldsignal.agent.triage_assist import LLMAssist

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

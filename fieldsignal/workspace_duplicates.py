"""Second reports (a component of the Workspace facade): the learned duplicate scorer, and "same signal?" answers.

A new signal the scorer is sure repeats an earlier one is linked as its duplicate (counted once);
a borderline one is linked to nothing and asked about in the review queue, both notes side by side.
A reviewer's "distinct" is remembered: that pair is never suggested or linked again.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fieldsignal.store import duplicates as dupes_repo
from fieldsignal.store import transaction
from fieldsignal.workspace_parts import Parts

if TYPE_CHECKING:
    from fieldsignal.dedupe.model import DuplicateScorer

_LOADING = threading.Lock()
_UNSET: Any = object()


class Duplicates:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._scorer: DuplicateScorer | None = _UNSET

    @property
    def scorer(self) -> DuplicateScorer | None:
        """The scorer fitted on the corpus's second reports (cached); None without a corpus that has them."""
        if self._scorer is _UNSET:
            with _LOADING:
                if self._scorer is _UNSET:
                    self._scorer = self.build_scorer()
        return self._scorer

    def load_scorer(self, progress: Any = None) -> DuplicateScorer | None:
        """Build (or load from the cache) the scorer now, reporting progress when it has to be built."""
        self._scorer = self.build_scorer(progress)
        return self._scorer

    def build_scorer(self, progress: Any = None) -> DuplicateScorer | None:
        from fieldsignal.dedupe import training as dedupe_training
        from fieldsignal.triage import shipped

        ws = self.parts
        corpus = ws.settings.corpus or shipped.default_corpus()
        if str(corpus) == os.devnull or not corpus.exists():
            return None
        triage = ws.triage
        key = shipped.model_key(corpus, ws.taxonomy, triage.encoder.name)
        return dedupe_training.load_or_build(triage, ws.embedder, corpus, key, progress)

    def questions(self) -> dict[int, tuple[int, float]]:
        """Open "same signal?" questions: signal → (the earlier signal it may repeat, probability)."""
        ws = self.parts
        if not ws.settings.log_exists():
            return {}
        with ws.store() as con:
            return dupes_repo.open_suggestions(con)

    def mark_same(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> int:
        """`signal_id` is a second report (of the suggested signal, or of `original_id`); returns the
        signal it now counts under."""
        with _writing(self.parts) as con:
            return dupes_repo.mark_same(con, signal_id, original_id, who, _now())

    def mark_distinct(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> list[int]:
        """Not a second report: remembered, never suggested or linked again."""
        with _writing(self.parts) as con:
            return dupes_repo.mark_distinct(con, signal_id, original_id, who, _now())

    def unmerge(self, signal_id: int, who: str = "reviewer") -> int:
        """Count a linked duplicate on its own again; returns the signal it was linked to."""
        with _writing(self.parts) as con:
            return dupes_repo.unmerge(con, signal_id, who, _now())


@contextmanager
def _writing(parts: Parts) -> Iterator[Any]:
    with parts.store(write=True) as con, transaction(con):
        yield con


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)

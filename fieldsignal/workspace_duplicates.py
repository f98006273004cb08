"""Second reports (mixed into Workspace): the learned duplicate scorer, and "same signal?" answers.

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
from typing import TYPE_CHECKING, Any, cast

from fieldsignal.store import duplicates as dupes_repo
from fieldsignal.store import transaction

if TYPE_CHECKING:
    from fieldsignal.agent.dedupe_model import DuplicateScorer
    from fieldsignal.workspace import Workspace

_LOADING = threading.Lock()


class DuplicateReview:
    @property
    def duplicate_scorer(self) -> DuplicateScorer | None:
        """The scorer fitted on the corpus's second reports (cached); None without a corpus that has them."""
        if "_duplicate_scorer" not in self.__dict__:
            with _LOADING:
                if "_duplicate_scorer" not in self.__dict__:
                    self.__dict__["_duplicate_scorer"] = self.build_duplicate_scorer()
        return cast("DuplicateScorer | None", self.__dict__["_duplicate_scorer"])

    def build_duplicate_scorer(self, progress: Any = None) -> DuplicateScorer | None:
        from fieldsignal.agent import dedupe_training
        from fieldsignal.triage import shipped

        ws = cast("Workspace", self)
        corpus = ws.settings.corpus or shipped.default_corpus()
        if str(corpus) == os.devnull or not corpus.exists():
            return None
        triage = ws.triage
        key = shipped.model_key(corpus, ws.taxonomy, triage.encoder.name)
        return dedupe_training.load_or_build(triage, ws.embedder, corpus, key, progress)

    def duplicate_questions(self) -> dict[int, tuple[int, float]]:
        """Open "same signal?" questions: signal → (the earlier signal it may repeat, probability)."""
        ws = cast("Workspace", self)
        if not ws.settings.log_exists():
            return {}
        with ws.store() as con:
            return dupes_repo.open_suggestions(con)

    def mark_same(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> int:
        """`signal_id` is a second report (of the suggested signal, or of `original_id`); returns the
        signal it now counts under."""
        with _writing(self) as con:
            return dupes_repo.mark_same(con, signal_id, original_id, who, _now())

    def mark_distinct(self, signal_id: int, original_id: int | None = None, who: str = "reviewer") -> list[int]:
        """Not a second report: remembered, never suggested or linked again."""
        with _writing(self) as con:
            return dupes_repo.mark_distinct(con, signal_id, original_id, who, _now())

    def unmerge(self, signal_id: int, who: str = "reviewer") -> int:
        """Count a linked duplicate on its own again; returns the signal it was linked to."""
        with _writing(self) as con:
            return dupes_repo.unmerge(con, signal_id, who, _now())


@contextmanager
def _writing(ws: Any) -> Iterator[Any]:
    with ws.store(write=True) as con, transaction(con):
        yield con


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)

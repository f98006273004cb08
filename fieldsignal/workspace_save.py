"""One batch's write transaction (mixed into Workspace): notes, signals, vectors, duplicate links.

The known-note check that matters is the insert itself, inside the transaction: a note that
another process or thread stored after this one read the known hashes is skipped with its
signals, and the rest of the batch is stored. Each signal's vector is stored in the same
transaction, whichever writer computed it first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from fieldsignal.models import NEW_GAP, TriageResult
from fieldsignal.store import capture, transaction
from fieldsignal.store import signals as repo

if TYPE_CHECKING:
    from fieldsignal.workspace import Workspace


@dataclass
class Saved:
    """What one batch's write transaction stored."""

    results: list[TriageResult] = field(default_factory=list)  # the notes stored (not found stored meanwhile)
    ids: list[int] = field(default_factory=list)
    vectors: Any = None  # one row per id
    signals: list[Any] = field(default_factory=list)  # the stored rows, one per id (for the index)
    duplicates: int = 0


def save_vectors(con: Any, embedder: Any, keys: list[str], vectors: Any) -> None:
    """Store this batch's own vectors, whichever writer (thread) computed them first: a signal never
    points at a vector that is not stored."""
    entries = embedder.take_new_entries()
    missing = repo.missing_embeddings(con, [k for k in keys if k not in entries])
    entries.update({k: vectors[i] for i, k in enumerate(keys) if k in missing})
    repo.save_embeddings(con, embedder.name, entries)


class BatchSave:
    def _save(self, results: list[TriageResult], assisted: Any = None) -> Saved:
        """One write transaction for a batch; a note stored meanwhile by another writer is left out of it."""
        ws = cast("Workspace", self)
        excerpts = [d.excerpt for r in results for d in r.signals]
        vectors = ws.embedder.encode(excerpts)
        keys = [ws.embedder.key(t) for t in excerpts]
        now = dt.datetime.now().replace(microsecond=0)
        saved = Saved()
        rows: list[int] = []  # rows of `vectors` that were stored
        with ws.store(write=True) as con, transaction(con):
            save_vectors(con, ws.embedder, keys, vectors)
            if assisted is not None:
                from fieldsignal.store.llm import record_usage, save_cache

                save_cache(con, assisted.cache_entries, now)
                record_usage(con, assisted.usage)
            customers = [d.deal.customer for r in results for d in r.signals if d.deal.customer]
            earlier = repo.dedupe_candidates(con, customers)
            keyed, offset = [], 0
            for result in results:
                keyed.append(keys[offset : offset + len(result.signals)])
                offset += len(result.signals)
            stored = capture.save_new_results(con, results, ws.taxonomy, keyed, now)
            links: list[tuple[int, int]] = []
            offset = 0
            for result, ids in zip(results, stored, strict=True):
                n = len(result.signals)
                if ids is not None:
                    mine = vectors[offset : offset + n]
                    links += self._link_duplicates(result, ids, mine, earlier, now)
                    saved.results.append(result)
                    saved.ids += ids
                    rows += range(offset, offset + n)
                offset += n
            repo.mark_duplicates(con, links)
            saved.duplicates = len(links)
            saved.signals = repo.get_signals(con, saved.ids)  # read here: no second connection
        saved.vectors = vectors[rows] if rows else vectors[:0]
        return saved

    def _link_duplicates(
        self, result: TriageResult, ids: list[int], vectors: Any, earlier: list[Any], now: dt.datetime
    ) -> list[tuple[int, int]]:
        """(signal, original) for the second reports of a signal already in the log (same customer and gap)."""
        from fieldsignal.agent.dedupe import Candidate, find_original

        ws = cast("Workspace", self)
        linked: list[tuple[int, int]] = []
        for signal_id, draft, vector in zip(ids, result.signals, vectors, strict=True):
            if not draft.deal.customer:
                continue
            label = draft.gap.label
            known = label if label in ws.taxonomy.gap_by_slug else None
            candidate = Candidate(
                id=signal_id,
                note_id=-ids[0],
                customer=draft.deal.customer,
                gap=known,
                new_gap=label == NEW_GAP,
                date=draft.deal.date or now.date(),
                vector=vector,
            )
            original = find_original(candidate, earlier)
            if original is not None:
                linked.append((signal_id, original))
                candidate.duplicate_of = original
            earlier.append(candidate)
        return linked

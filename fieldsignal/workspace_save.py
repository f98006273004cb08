"""One batch's write transaction (a component of the Workspace facade): notes, signals, vectors,
duplicate links.

The known-note check that matters is the insert itself, inside the transaction: a note that
another process or thread stored after this one read the known hashes is skipped with its
signals, and the rest of the batch is stored. Each signal's vector is stored in the same
transaction, whichever writer computed it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from fieldsignal.dedupe.candidates import (
    NEAREST,
    NEAREST_NOTES,
    Candidate,
    DedupeParams,
    find_original,
    from_draft,
    nearest,
)
from fieldsignal.models import NEW_GAP, TriageResult
from fieldsignal.store import capture, transaction
from fieldsignal.store import duplicates as dupes_repo
from fieldsignal.store import signals as repo
from fieldsignal.vectorstore.index import GAPS, NOTES, SIGNALS, IndexDamaged
from fieldsignal.workspace_duplicates import Duplicates
from fieldsignal.workspace_index import NoteRows, VectorIndex, gap_catalog, put_gap_catalog
from fieldsignal.workspace_parts import Parts

BATCH = 64  # notes triaged and stored together
LIKELY = 0.05  # a new signal's candidates include the recent signals of every gap at least this likely


@dataclass
class Saved:
    """What one batch's write transaction stored."""

    results: list[TriageResult] = field(default_factory=list)  # the notes stored (not found stored meanwhile)
    ids: list[int] = field(default_factory=list)
    vectors: Any = None  # one row per id
    signals: list[Any] = field(default_factory=list)  # the stored rows, one per id (for the index)
    duplicates: int = 0
    asked: int = 0  # borderline second reports, asked about in the review queue
    notes: NoteRows = None  # (note ids, whole-note vectors) of the notes stored, when the vectors were computed


def save_vectors(con: Any, embedder: Any, keys: list[str], vectors: Any) -> None:
    """Store this batch's own vectors, whichever writer (thread) computed them first: a signal never
    points at a vector that is not stored."""
    entries = embedder.take_new_entries()
    missing = repo.missing_embeddings(con, [k for k in keys if k not in entries])
    entries.update({k: vectors[i] for i, k in enumerate(keys) if k in missing})
    repo.save_embeddings(con, embedder.name, entries)


def indexed_candidates(
    con: Any, index: Any, vectors: Any, customers: list[str | None], notes: Sequence[Any] = ()
) -> list[Candidate]:
    """The signals nearest each vector in the vector index, the signals of the notes nearest each note's
    whole-note vector (`notes`), and the customers' signals, with the index's vectors (the log's for
    signals the index does not hold yet)."""
    known: dict[str, Any] = {}
    for hits in index.nearest_each(SIGNALS, list(vectors), NEAREST):
        known.update(hits)
    near_notes: set[int] = set()
    for hits in index.nearest_each(NOTES, [v for v in notes if v is not None], NEAREST_NOTES):
        near_notes.update(int(i) for i in hits if i.isdigit())
    found = dupes_repo.candidates(
        con, customers, [], dt.date.min, sorted(map(int, known)), vectors=False, notes=sorted(near_notes)
    )
    known.update(index.vectors(SIGNALS, [str(c.id) for c in found if str(c.id) not in known]))
    missing = dupes_repo.stored_vectors(con, [c.id for c in found if str(c.id) not in known])
    for c in found:
        c.vector = known[str(c.id)] if str(c.id) in known else missing.get(c.id)
    return found


def per_note(results: Sequence[TriageResult], flat: Sequence[Any]) -> list[Any]:
    """A list with one item per signal of `results` (excerpts' keys, vectors), cut into one slice per note."""
    out, offset = [], 0
    for result in results:
        out.append(flat[offset : offset + len(result.signals)])
        offset += len(result.signals)
    return out


def note_vectors(embedder: Any, results: list[TriageResult], excerpt_vectors: Any) -> list[Any]:
    """Each note's vector (kept with the note: evidence for the duplicate scorer); a note that is its
    only excerpt has that excerpt's, the others are encoded now (not kept in the embedding cache)."""
    out: list[Any] = []
    wanted: list[int] = []
    offset = 0
    for number, result in enumerate(results):
        alone = len(result.signals) == 1 and result.signals[0].excerpt == result.note.text
        out.append(excerpt_vectors[offset] if alone else None)
        wanted += [] if alone else [number]
        offset += len(result.signals)
    given = getattr(embedder, "whole", {})  # computed by a backfill's executors with this same model
    for number in wanted:
        out[number] = given.get(embedder.key(results[number].note.text))
    wanted = [n for n in wanted if out[n] is None]
    if wanted:
        for number, vector in zip(wanted, embedder.inner.encode([results[n].note.text for n in wanted]), strict=True):
            out[number] = vector
    return out


def nearest_known_gaps(index: Any, taxonomy: Any, results: list[TriageResult], vectors: Any) -> list[TriageResult]:
    """A proposed new gap's review reasons name the known gap nearest in meaning (the index's catalog of
    the taxonomy's gap texts), so a reviewer sees at once whether it is new or a known one in other words.
    Left as they are when the index is not open (a one-shot paste does not open it) or cannot be read."""
    if index is None:
        return results
    out, row = [], 0
    for result in results:
        drafts = list(result.signals)
        for k, draft in enumerate(drafts):
            if draft.gap.label == NEW_GAP:
                try:
                    hits = index.query(GAPS, vectors[row + k], 1)
                except IndexDamaged:
                    hits = []
                known = taxonomy.gap_by_slug.get(str(hits[0].metadata.get("gap"))) if hits else None
                if known is not None:
                    reason = f"nearest known gap: {known.name} ({hits[0].score:.2f})"
                    drafts[k] = draft.model_copy(update={"review_reasons": [*draft.review_reasons, reason]})
        row += len(drafts)
        changed = drafts != result.signals
        out.append(result.model_copy(update={"signals": drafts}) if changed else result)
    return out


class BatchWriter:
    def __init__(self, parts: Parts, index: VectorIndex, duplicates: Duplicates) -> None:
        self.parts, self.index, self.duplicates = parts, index, duplicates

    def save(self, results: list[TriageResult], assisted: Any = None) -> Saved:
        """One write transaction for a batch; a note stored meanwhile by another writer is left out of it."""
        ws = self.parts
        excerpts = [d.excerpt for r in results for d in r.signals]
        vectors = ws.embedder.encode(excerpts)
        keys = [ws.embedder.key(t) for t in excerpts]
        notes = note_vectors(ws.embedder, results, vectors) if self.duplicates.scorer else None
        results = nearest_known_gaps(self._gap_catalog(results), ws.taxonomy, results, vectors)
        now = dt.datetime.now().replace(microsecond=0)
        saved = Saved()
        rows: list[int] = []  # rows of `vectors` that were stored
        with ws.store(write=True) as con, transaction(con):
            save_vectors(con, ws.embedder, keys, vectors)
            if assisted is not None:
                from fieldsignal.store.llm import record_usage, save_cache

                save_cache(con, assisted.cache_entries, now)
                record_usage(con, assisted.usage)
            earlier = self._earlier(con, results, vectors, now, notes)
            stored = capture.save_new_results(con, results, ws.taxonomy, per_note(results, keys), now, notes)
            links: list[tuple[int, int]] = []
            questions: list[tuple[int, int, float]] = []
            offset = 0
            for number, (result, ids) in enumerate(zip(results, stored, strict=True)):
                n = len(result.signals)
                if ids is not None:
                    mine = vectors[offset : offset + n]
                    whole = None if notes is None else notes[number]
                    found, asked = self._link_duplicates(result, ids, mine, earlier, now, whole)
                    links += found
                    questions += asked
                    saved.results.append(result)
                    saved.ids += ids
                    rows += range(offset, offset + n)
                offset += n
            repo.mark_duplicates(con, links)
            dupes_repo.suggest(con, questions, now)
            saved.duplicates, saved.asked = len(links), len(questions)
            saved.signals = repo.get_signals(con, saved.ids)  # read here: no second connection
        saved.vectors = vectors[rows] if rows else vectors[:0]
        if notes is not None and saved.signals:
            import numpy as np

            note_of = {s.id: s.note_id for s in saved.signals}
            kept = [(note_of[ids[0]], notes[n]) for n, ids in enumerate(stored) if ids and notes[n] is not None]
            saved.notes = ([i for i, _ in kept], np.stack([v for _, v in kept]) if kept else None)
        return saved

    def _gap_catalog(self, results: list[TriageResult]) -> Any:
        """The open index, its catalog of known gaps filled (once: `reindex` refills it), when this batch
        proposes a new gap; None when the index is not open here (a one-shot paste) or no gap is proposed."""
        if not any(d.gap.label == NEW_GAP for r in results for d in r.signals):
            return None
        index = self.index.opened_ahead()
        if index is None:
            return None
        ws = self.parts
        try:
            if index.count(GAPS) == 0:
                flat = gap_catalog(ws.taxonomy)
                put_gap_catalog(index, flat, ws.embedder.encode([t for _, t in flat]))
        except IndexDamaged:
            return None  # rebuilt (catalog included) by the index's next reader
        return index

    def _earlier(
        self, con: Any, results: list[TriageResult], vectors: Any, now: dt.datetime, notes: Any = None
    ) -> list[Candidate]:
        """The stored signals this batch's signals may repeat: their customers', and those nearest in
        meaning, by quote and by whole note (from the vector index when this process has it open, else the
        latest of their likely gaps)."""
        drafts = [d for r in results for d in r.signals]
        if self.duplicates.scorer is None:  # the rule: a second report names the same customer
            return repo.dedupe_candidates(con, [d.deal.customer for d in drafts if d.deal.customer])
        gaps = {g for d in drafts for g, p in [(d.gap.label, d.gap.confidence), *d.gap.alternatives] if p >= LIKELY}
        dates = [d.deal.date or now.date() for d in drafts]
        since = min(dates, default=now.date()) - dt.timedelta(days=DedupeParams().window_days)
        customers, likely = [d.deal.customer for d in drafts], sorted(g for g in gaps if g)
        index = self.index.current
        if index is not None and len(vectors):
            try:
                return indexed_candidates(con, index, vectors, customers, notes or ())
            except IndexDamaged:  # rebuilt by its next reader; the log's own indexes serve meanwhile
                pass
        return dupes_repo.candidates(con, customers, likely, since)

    def _link_duplicates(
        self,
        result: TriageResult,
        ids: list[int],
        vectors: Any,
        earlier: list[Candidate],
        now: dt.datetime,
        note_vector: Any = None,
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int, float]]]:
        """(signal, original) for the second reports of a signal already in the log, and (signal,
        earlier signal, probability) for the borderline ones a reviewer is asked about."""
        scorer = self.duplicates.scorer
        known = self.parts.taxonomy.gap_by_slug
        by_id = {c.id: c for c in earlier}
        linked: list[tuple[int, int]] = []
        asked: list[tuple[int, int, float]] = []
        for signal_id, draft, vector in zip(ids, result.signals, vectors, strict=True):
            candidate = from_draft(draft, signal_id, -ids[0], result.note.text, known, vector, note_vector)
            candidate.date = draft.deal.date or now.date()
            if scorer is None:
                original = find_original(candidate, earlier) if draft.deal.customer else None
            else:
                original = None
                best = scorer.best(nearest(earlier, candidate), candidate)
                if best is not None and best[2] == "link":
                    original = best[0]
                    while by_id[original].duplicate_of in by_id:  # counted under the first report
                        original = cast(int, by_id[original].duplicate_of)
                elif best is not None:
                    asked.append((signal_id, best[0], best[1]))
            if original is not None:
                linked.append((signal_id, original))
                candidate.duplicate_of = original
            earlier.append(candidate)
            by_id[signal_id] = candidate
        return linked, asked

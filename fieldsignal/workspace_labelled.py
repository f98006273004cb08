"""`import --labeled` on a workspace (a component of the Workspace facade): rows become signals as
labelled, none merged away."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldsignal.errors import InputError, TaxonomyError
from fieldsignal.models import (
    LOSS,
    DealFields,
    ImportFailure,
    ImportReport,
    NoteInput,
    Scored,
    SignalDraft,
    TriageResult,
)
from fieldsignal.store import signals as repo
from fieldsignal.store import transaction
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.vectorstore import writers
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts

if TYPE_CHECKING:  # the ingest package is not on a read command's path
    from fieldsignal.ingest.labelled import LabelledRow


BATCH = 500  # rows written per batch of statements


class LabelledImport:
    def __init__(self, parts: Parts, index: VectorIndex) -> None:
        self.parts, self.index = parts, index

    def import_labelled(self, items: Iterable[LabelledRow | InputError]) -> ImportReport:
        """No triage and no duplicate linking: what the rows say is what is stored (decided_by "import")."""
        from fieldsignal.store import capture
        from fieldsignal.workspace_save import per_note, save_vectors

        ws = self.parts
        report = ImportReport()
        results, rows = [], []
        for number, item in enumerate(items, start=1):
            if isinstance(item, InputError):
                report.failures.append(ImportFailure(source=str(item).split(":")[0], error=str(item)))
                continue
            report.notes_seen += 1
            try:
                results.append(result_from_labels(item, ws.taxonomy, number))
                rows.append(item)
            except InputError as exc:
                report.failures.append(ImportFailure(source="row", error=str(exc)))
        excerpts = [d.excerpt for r in results for d in r.signals]
        vectors = ws.embedder.encode(excerpts)
        keys = [ws.embedder.key(t) for t in excerpts]
        now = dt.datetime.now().replace(microsecond=0)
        ids: list[int] = []
        saved_vectors: list[Any] = []
        with writers.writing(ws.settings.home):  # held from before the commit until the index has the signals
            with ws.store(write=True) as con, transaction(con):
                save_vectors(con, ws.embedder, keys, vectors)
                keyed = per_note(results, keys)
                # known notes (stored before, by another writer meanwhile, or twice in this file) are skipped
                stored: list[list[int] | None] = []
                for start in range(0, len(results), BATCH):  # a few statements a batch, not several a row
                    batch = slice(start, start + BATCH)
                    stored += capture.save_new_results(con, results[batch], ws.taxonomy, keyed[batch], now)
                changes: list[tuple[int, str, str, str | None]] = []
                for row, saved, mine in zip(rows, stored, per_note(results, vectors), strict=True):
                    if saved is None:
                        report.notes_skipped_duplicate += 1
                    else:
                        changes += _status_changes(con, saved, row)
                        ids += saved
                        saved_vectors += list(mine)
                        report.notes_added += 1
                repo.set_statuses(con, ws.taxonomy, changes, now)
            report.signals_added, report.signal_ids = len(ids), ids
            if ids:
                import numpy as np

                self.index.add(ids, np.stack(saved_vectors))
        return report


def _status_changes(con: Any, ids: list[int], row: LabelledRow) -> list[tuple[int, str, str, str | None]]:
    """The status the row gives its signals, as changes to apply (a ticket on a New signal is set at once)."""
    if row.status and row.status.strip().lower() != "new":
        return [(signal_id, row.status.strip(), row.author or "import", row.pm_ticket) for signal_id in ids]
    if row.pm_ticket:
        for signal_id in ids:
            repo.set_ticket(con, signal_id, row.pm_ticket)
    return []


# ---------------------------------------------------------------- labelled rows to signal drafts
EXCERPT_CHARS = 400


def _known(taxonomy: Taxonomy, kind: str, value: str | None) -> str | None:
    """The taxonomy's spelling of an industry or archetype; None when it has none such."""
    try:
        return taxonomy.resolve(kind, value)
    except TaxonomyError:
        return None


def result_from_labels(row: LabelledRow, taxonomy: Taxonomy, number: int) -> TriageResult:
    from fieldsignal.ingest.text import content_hash

    try:
        kind = taxonomy.resolve("signal type", row.signal_type or "Product Gap") or "Product Gap"
    except TaxonomyError:
        raise InputError(f"row {row.id or number}: unknown signal type {row.signal_type!r}") from None
    industry = _known(taxonomy, "industry", row.industry)
    archetype = _known(taxonomy, "archetype", row.archetype)
    lost = row.lost_deal if row.lost_deal is not None else kind == LOSS
    deal = DealFields(
        customer=row.customer,
        industry=industry,
        archetype=archetype,
        competitor=row.competitor,
        lost_deal=lost,
        acv_usd=row.acv_usd,
        date=row.date,
        author=row.author,
    )
    listed: list[str | None] = list(row.gaps) if row.gaps else [row.gap]
    named: list[str | None] = [g for g in listed if g is not None and g.strip()]
    gaps = named or [None]
    drafts = [_draft(kind, gap, row, taxonomy, deal) for gap in gaps]
    # "labeled" as stored by earlier versions: the source and the hash stay as they were, so re-importing adds nothing
    note = NoteInput(text=row.text, source=row.source or "labeled", author=row.author, date=row.date)
    return TriageResult(note=note, note_hash=content_hash(f"{row.text}\x00labeled:{row.id or number}"), signals=drafts)


def _draft(kind: str, gap: str | None, row: LabelledRow, taxonomy: Taxonomy, deal: DealFields) -> SignalDraft:
    known = taxonomy.resolve_gap(gap) if gap else None
    proposal = None
    if gap and known is None:  # "NEW: offline mode", or a gap this taxonomy does not know
        proposal = re.sub(r"^new:\s*", "", gap, flags=re.I).strip() or gap
    category = known.category if known else row.category
    one = Scored(label=None, confidence=1.0)
    return SignalDraft(
        signal_type=Scored(label=kind, confidence=1.0),
        gap=one.model_copy(update={"label": known.slug if known else None}),
        category=one.model_copy(update={"label": category}),
        new_gap_label=proposal,
        excerpt=row.text[:EXCERPT_CHARS],
        deal=deal,
        use_case_blocked=row.use_case_blocked or (known.use_case_blocked if known else None),
        decided_by="import",
    )

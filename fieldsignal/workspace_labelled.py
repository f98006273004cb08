"""`import --labeled` on a workspace (a component of the Workspace facade): rows become signals as
labelled, none merged away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldsignal.errors import InputError
from fieldsignal.models import ImportFailure, ImportReport
from fieldsignal.store import transaction
from fieldsignal.vectorstore import writers
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts

if TYPE_CHECKING:
    from fieldsignal.ingest.labelled import LabelledRow


class LabelledImport:
    def __init__(self, parts: Parts, index: VectorIndex) -> None:
        self.parts, self.index = parts, index

    def import_labelled(self, items: Iterable[LabelledRow | InputError]) -> ImportReport:
        """No triage and no duplicate linking: what the rows say is what is stored (decided_by "import")."""
        from fieldsignal.agent.labelled import result_from_labels
        from fieldsignal.store import capture
        from fieldsignal.workspace_save import save_vectors

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
                offset = 0
                for result, row in zip(results, rows, strict=True):
                    n = len(result.signals)
                    # known notes (stored before, by another writer meanwhile, or twice in this file) are skipped
                    saved = capture.save_new_result(con, result, ws.taxonomy, keys[offset : offset + n], now)
                    if saved is None:
                        report.notes_skipped_duplicate += 1
                    else:
                        _apply_status(con, ws, saved, row, now)
                        ids += saved
                        saved_vectors += list(vectors[offset : offset + n])
                        report.notes_added += 1
                    offset += n
            report.signals_added, report.signal_ids = len(ids), ids
            if ids:
                import numpy as np

                self.index.add(ids, np.stack(saved_vectors))
        return report


def _apply_status(con: Any, ws: Parts, ids: list[int], row: LabelledRow, now: dt.datetime) -> None:
    from fieldsignal.store import signals as repo

    if row.status and row.status.strip().lower() != "new":
        for signal_id in ids:
            repo.set_status(
                con, ws.taxonomy, signal_id, row.status.strip(), row.author or "import", None, row.pm_ticket, now
            )
    elif row.pm_ticket:
        for signal_id in ids:
            repo.set_ticket(con, signal_id, row.pm_ticket)

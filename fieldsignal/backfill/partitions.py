"""What a backfill's executors run on each partition of notes: rows in, triaged notes out.

Every row becomes a note through the same reader as a CSV/JSONL import (`ingest.row_note`), and every
note is triaged by the same assembled triage as a workspace's (`learned_triage.assemble_triage`): the
same notes give the same signals. The triage is loaded once per Python worker and kept for the next
partitions. A row that cannot be a note (no text, too long, not JSON) becomes a failure row: the job
goes on. Nothing here imports PySpark: the functions take and give pandas DataFrames.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldsignal.errors import InputError
from fieldsignal.models import TriageResult
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy

# Columns the driver adds to every row read: the file it came from (its name), the file's place among
# the paths given and the row's place in its file (the order an import would store them in).
FILE, FILE_INDEX, ORDER, CORRUPT = "_fs_file", "_fs_file_index", "_fs_order", "_corrupt_record"
INTERNAL = (FILE, FILE_INDEX, ORDER, CORRUPT)
NOTES_SCHEMA = (
    f"{FILE} string, {FILE_INDEX} int, {ORDER} long, hash string, status string, result string, error string, "
    "vectors binary, note_vector binary"  # float32: the excerpts' vectors, the whole note's (for duplicates)
)
SIGNALS_SCHEMA = (
    "note_hash string, signal_index int, date date, source string, author string, signal_type string, "
    "type_confidence double, category string, gap string, gap_confidence double, new_gap_label string, "
    "customer string, industry string, archetype string, competitor string, lost_deal boolean, acv_usd long, "
    "use_case_blocked string, needs_review boolean, excerpt string"
)
TRIAGED, KNOWN, FAILED = "triaged", "known", "failed"
CHUNK = 64  # notes triaged together (one matrix per head)


@dataclass(frozen=True)
class TriageJob:
    """What every executor needs, shipped with the task: the settings the triage reads (no secrets), the
    workspace's taxonomy and reviewed corrections, which column holds what, the cache folder."""

    settings: Settings
    taxonomy: Taxonomy
    corrections: Sequence[Any]
    columns: dict[str, str | None]
    max_note_bytes: int
    cache_dir: str
    known: Any = None  # a Spark broadcast of the hashes of the notes the log holds (skipped), or a set
    name: str = field(default="")  # a key for the worker's cache of loaded triages

    def known_hashes(self) -> frozenset[str]:
        value = getattr(self.known, "value", self.known)
        return frozenset(value or ())


_LOADED: dict[str, Any] = {}


def loaded_for(job: TriageJob) -> tuple[Any, Any]:
    """The job's triage and the excerpt embedder, loaded once per Python worker (Spark reuses workers)."""
    if job.name not in _LOADED:
        os.environ["FIELDSIGNAL_CACHE_DIR"] = job.cache_dir  # the models the driver built, not a rebuild
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from fieldsignal import registry
        from fieldsignal.learned_triage import assemble_triage
        from fieldsignal.vectorstore.embedder import CachedEmbedder

        _LOADED.clear()  # one job's models at a time
        triage = assemble_triage(job.settings, job.taxonomy, job.corrections)
        embedder = CachedEmbedder(registry.create("embedder", job.settings.embedder, job.settings))
        _LOADED[job.name] = (triage, embedder)
    loaded: tuple[Any, Any] = _LOADED[job.name]
    return loaded


def triage_frames(job: TriageJob, frames: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas: each frame of rows read as one frame of triaged notes (NOTES_SCHEMA)."""
    import pandas as pd

    columns = [c.split()[0] for c in NOTES_SCHEMA.split(", ")]
    for frame in frames:
        yield pd.DataFrame(triage_rows(job, frame.to_dict("records")), columns=columns)


def triage_rows(job: TriageJob, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (with the driver's FILE, FILE_INDEX, ORDER columns) as triaged-note rows, in the same order."""
    from fieldsignal.ingest import ReadOptions, row_note
    from fieldsignal.ingest.text import content_hash

    options = ReadOptions(max_note_bytes=job.max_note_bytes)
    known = job.known_hashes()
    out: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], Any]] = []
    for row in rows:
        values = {k: _plain(v) for k, v in row.items() if k not in INTERNAL}
        place = {FILE: row[FILE], FILE_INDEX: int(row[FILE_INDEX]), ORDER: int(row[ORDER])}
        record = dict(place, hash=None, status=FAILED, result=None, error=None)
        out.append(record)
        corrupt = _plain(row.get(CORRUPT))
        if corrupt is not None:
            record["error"] = f"{row[FILE]}: a row that is not a JSON object: {_start(corrupt)}"
            continue
        try:
            note = row_note(values, job.columns, row[FILE], f"{row[FILE]}: the row {_start(values)}", options)
        except InputError as exc:
            record["error"] = str(exc)
            continue
        record["hash"] = content_hash(note.text)
        if record["hash"] in known:
            record["status"] = KNOWN
            continue
        pending.append((record, note))
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        triage, embedder = loaded_for(job)
        results = triage.triage([n for _, n in chunk])
        vectors, wholes = embedded(embedder, results)
        for (record, _), result, mine, whole in zip(chunk, results, vectors, wholes, strict=True):
            record["status"], record["result"] = TRIAGED, result.model_dump_json()
            record["vectors"] = mine.astype("float32").tobytes()
            record["note_vector"] = None if whole is None else whole.astype("float32").tobytes()
    return out


def embedded(embedder: Any, results: Sequence[TriageResult]) -> tuple[list[Any], list[Any]]:
    """Each result's excerpt vectors and its whole note's vector, as the driver would compute them when
    storing (the bundled model; `workspace_save.note_vectors`), so it does not have to."""
    from fieldsignal.workspace_save import note_vectors

    vectors = embedder.encode([d.excerpt for r in results for d in r.signals])
    out, offset = [], 0
    for result in results:
        out.append(vectors[offset : offset + len(result.signals)])
        offset += len(result.signals)
    wholes = note_vectors(embedder, list(results), vectors)
    embedder.forget()  # a worker triages partition after partition: nothing is kept
    return out, wholes


def signal_frames(frames: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas: triaged notes (NOTES_SCHEMA) as the flat signals table (SIGNALS_SCHEMA), one row a signal."""
    import pandas as pd

    columns = [c.split()[0] for c in SIGNALS_SCHEMA.split(", ")]
    for frame in frames:
        rows = [
            row
            for text in frame["result"].tolist()
            if isinstance(text, str)
            for row in signal_rows(TriageResult.model_validate_json(text))
        ]
        yield pd.DataFrame(rows, columns=columns)


def signal_rows(result: TriageResult) -> list[dict[str, Any]]:
    """A triaged note's signals as flat rows (as triaged: before account linking and duplicate matching,
    which the log does when the backfill is stored)."""
    note = result.note
    return [
        {
            "note_hash": result.note_hash,
            "signal_index": number,
            "date": draft.deal.date or note.date,
            "source": note.source,
            "author": draft.deal.author or note.author,
            "signal_type": draft.signal_type.label,
            "type_confidence": draft.signal_type.confidence,
            "category": draft.category.label,
            "gap": draft.gap.label,
            "gap_confidence": draft.gap.confidence,
            "new_gap_label": draft.new_gap_label,
            "customer": draft.deal.customer,
            "industry": draft.deal.industry,
            "archetype": draft.deal.archetype,
            "competitor": draft.deal.competitor,
            "lost_deal": draft.deal.lost_deal,
            "acv_usd": draft.deal.acv_usd,
            "use_case_blocked": draft.use_case_blocked,
            "needs_review": draft.needs_review,
            "excerpt": draft.excerpt,
        }
        for number, draft in enumerate(result.signals)
    ]


def _plain(value: Any) -> Any:
    """A cell as the JSON reader of an import would give it: None for missing (pandas' NaN, NaT)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ == "NaTType":
        return None
    return value


def _start(value: Any, size: int = 60) -> str:
    """A row (its values, or its raw text) shown short in a one-line message."""
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v!r}" for k, v in value.items() if v is not None)
    text = " ".join(str(value).split())
    return "(" + text[:size] + ("…" if len(text) > size else "") + ")"

"""The driver of a backfill: notes read into a Spark DataFrame, triaged on the executors, written as
tables, then stored in the workspace's log as `fieldsignal import` stores them.

    output/notes/     one row per note read: its file and place, content hash, status (triaged, known,
                      failed), the triage result (TriageResult JSON) or the one-line error
    output/signals/   one row per signal, flat (as triaged, before account linking and duplicates)
    output/backfill.json  what was read, when, and the counts

A re-run skips every note the log holds already (their hashes are broadcast to the executors), so it
triages nothing it has seen and adds nothing. Storing is idempotent as well: a note stored meanwhile by
another writer is skipped, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fieldsignal.backfill.partitions import (
    FAILED,
    FILE,
    FILE_INDEX,
    INTERNAL,
    KNOWN,
    NOTES_SCHEMA,
    ORDER,
    SIGNALS_SCHEMA,
    TRIAGED,
    TriageJob,
    signal_frames,
    triage_frames,
)
from fieldsignal.errors import FieldsignalError, InputError
from fieldsignal.ingest.tables import ColumnMap
from fieldsignal.models import ImportFailure, ImportReport, TriageResult

MARKER = "backfill.json"
REMOTE = ("dbfs:", "s3:", "s3a:", "abfss:", "gs:")  # paths Spark reads that are not on this file system
TABLE = "table:"  # a PATH naming a catalog table instead of files: table:catalog.schema.name
FORMATS = ("parquet", "delta")
MAX_FAILURES = 1000  # failure messages brought back to the driver (all are in output/notes)


@dataclass
class BackfillResult:
    output: str
    rows: int = 0
    triaged: int = 0
    known: int = 0  # in the log already: not triaged again
    failed: int = 0
    seconds: float = 0.0
    report: ImportReport = field(default_factory=ImportReport)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "report"}


def session(master: str | None) -> Any:
    """The active Spark session (a Databricks cluster's), else a new one on `master` (local[2] by default)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise FieldsignalError("a backfill runs on Spark: pip install 'fieldsignal[spark]' (pyspark)") from None
    active = SparkSession.getActiveSession()
    if master is None and (active is not None or os.environ.get("DATABRICKS_RUNTIME_VERSION")):
        return active or SparkSession.builder.getOrCreate()  # the cluster's own session
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python, this package
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master or "local[2]")
        .appName("fieldsignal-backfill")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.python.worker.reuse", "true")  # the triage stays loaded across tasks
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_notes(spark: Any, paths: Sequence[str]) -> Any:
    """Every PATH (JSONL/CSV files or folders, Parquet or Delta folders, `table:` names) as one
    DataFrame of rows, each with its file's name, the path's place and the row's place in its file."""
    from pyspark.sql import functions as F

    frames = []
    for number, path in enumerate(paths):
        frame, name = _read_one(spark, path)
        frames.append(
            frame.withColumn(FILE, name)
            .withColumn(FILE_INDEX, F.lit(number))
            .withColumn(ORDER, F.monotonically_increasing_id())  # increasing in file order
        )
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame, allowMissingColumns=True)
    # every core busy even on a small file (one input split): rows spread out, their places kept
    wanted = spark.sparkContext.defaultParallelism * 2
    return out if out.rdd.getNumPartitions() >= wanted else out.repartition(wanted)


def _read_one(spark: Any, path: str) -> tuple[Any, Any]:
    from pyspark.sql import functions as F

    if path.startswith(TABLE):
        table = path[len(TABLE) :]
        return spark.read.table(table), F.lit(table)
    local = Path(path)
    if not path.startswith(REMOTE) and not local.exists():
        raise InputError(f"{path}: no such file or folder")
    reader, name = spark.read, F.col("_metadata.file_name")
    if (local / "_delta_log").is_dir():
        return reader.format("delta").load(path), name
    files = [p for p in local.rglob("*") if p.is_file()] if local.is_dir() else [local]
    suffixes = {p.suffix.lower() for p in files if not p.name.startswith((".", "_"))}
    if suffixes <= {".parquet"} and suffixes:
        return reader.parquet(path), name
    if suffixes <= {".csv"} and suffixes:
        return reader.csv(path, header=True, multiLine=True, escape='"', recursiveFileLookup=local.is_dir()), name
    if suffixes <= {".jsonl", ".ndjson", ".json"} and suffixes:
        frame = reader.json(
            path,
            primitivesAsString=True,  # values as the import's JSON reader turns them into text
            mode="PERMISSIVE",
            columnNameOfCorruptRecord="_corrupt_record",
            recursiveFileLookup=local.is_dir(),
        )
        return frame, name
    found = ", ".join(sorted(suffixes)) or "no files"
    raise InputError(
        f"{path}: a backfill reads .jsonl, .csv or .parquet files (one kind per path), or Delta; found {found}"
    )


def run(
    ws: Any,
    paths: Sequence[str],
    output: Path,
    master: str | None = None,
    columns: ColumnMap | None = None,
    fmt: str = "parquet",
    store: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> BackfillResult:
    """Triage the notes at `paths` on Spark, write the tables under `output`, store them in `ws`'s log."""
    if fmt not in FORMATS:
        raise FieldsignalError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})")
    from fieldsignal.cache import cache_dir
    from fieldsignal.store import signals as repo
    from fieldsignal.triage.shipped import correction_examples

    started = time.perf_counter()
    spark = session(master)
    notes = read_notes(spark, paths)
    chosen = (columns or ColumnMap()).resolve([c for c in notes.columns if c not in INTERNAL], ", ".join(paths))
    ws.triage_ready(progress)  # built (and cached) once, here, before any executor loads it
    known: set[str] = set()
    if ws.settings.log_exists():
        with ws.store() as con:
            known = repo.note_hashes(con)
    secretless = ws.settings.model_copy(update={"llm_api_key": None, "token": None, "database_url": None})
    job = TriageJob(
        settings=secretless,
        taxonomy=ws.taxonomy,
        corrections=correction_examples(ws.labelled()),
        columns=chosen,
        max_note_bytes=ws.settings.max_note_bytes,
        cache_dir=str(cache_dir()),
        known=spark.sparkContext.broadcast(known),
        name=uuid.uuid4().hex,
    )
    where = str(output)
    notes.mapInPandas(partial(triage_frames, job), NOTES_SCHEMA).write.mode("overwrite").format(fmt).save(
        f"{where}/notes"
    )
    written = spark.read.format(fmt).load(f"{where}/notes")
    written.mapInPandas(signal_frames, SIGNALS_SCHEMA).write.mode("overwrite").format(fmt).save(f"{where}/signals")
    result = counted(written, where)
    if not where.startswith(REMOTE):
        marker = {"paths": list(paths), "format": fmt, "at": dt.datetime.now(dt.UTC).isoformat(), **result.summary()}
        (output / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    if store:
        result.report = store_output(ws, written, result, progress)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def load(
    ws: Any, output: Path, master: str | None = None, progress: Callable[[str, int, int], None] | None = None
) -> BackfillResult:
    """Store an earlier backfill's output (its `notes` table) in `ws`'s log; notes it holds are skipped."""
    marker = output / MARKER
    if not marker.exists():
        raise InputError(f"{output}: not a backfill's output (no {MARKER})")
    fmt = json.loads(marker.read_text(encoding="utf-8")).get("format", "parquet")
    started = time.perf_counter()
    spark = session(master)
    written = spark.read.format(fmt).load(f"{output}/notes")
    result = counted(written, str(output))
    ws.triage_ready(progress)
    result.report = store_output(ws, written, result, progress)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def counted(written: Any, output: str) -> BackfillResult:
    """A result counting a `notes` table's rows by status."""
    counts = {row["status"]: row["count"] for row in written.groupBy("status").count().collect()}
    return BackfillResult(
        output=output,
        rows=sum(counts.values()),
        triaged=counts.get(TRIAGED, 0),
        known=counts.get(KNOWN, 0),
        failed=counts.get(FAILED, 0),
    )


def store_output(
    ws: Any, written: Any, result: BackfillResult, progress: Callable[[str, int, int], None] | None
) -> ImportReport:
    """The triaged notes, in the order an import of the same files would store them, into the log."""
    from pyspark.sql import functions as F

    order = [F.col(FILE_INDEX), F.col(FILE), F.col(ORDER)]
    failed = written.where(F.col("status") == FAILED).orderBy(*order).select(FILE, "error").limit(MAX_FAILURES)
    triaged = written.where(F.col("status") == TRIAGED).orderBy(*order)
    rows = triaged.select("result", "vectors", "note_vector").toLocalIterator()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("storing the triaged notes", done, result.triaged)

    report = ws.add_triaged(_results(rows, ws.embedder), advance)
    report.notes_seen += result.known
    report.notes_skipped_duplicate += result.known
    report.failures = [ImportFailure(source=r[FILE], error=r["error"]) for r in failed.collect()]
    return report


def _results(rows: Iterator[Any], embedder: Any) -> Iterator[TriageResult]:
    """Each stored row's triage result, its vectors (computed on the executors) handed to the embedder."""
    import numpy as np

    for row in rows:
        result = TriageResult.model_validate_json(row["result"])
        if row["vectors"] is not None and result.signals:
            vectors = np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(result.signals), -1)
            embedder.remember([d.excerpt for d in result.signals], vectors)
        if row["note_vector"] is not None:
            embedder.remember(
                [result.note.text], np.frombuffer(row["note_vector"], dtype=np.float32)[None, :], whole=True
            )
        yield result

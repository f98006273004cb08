"""Copying a whole log from one store to another (`fieldsignal migrate --to URL`): DuckDB to PostgreSQL.

Rows keep their ids, so every reference (a signal's note, a duplicate's original, a draft's
versions) stays right. Idempotent: a row whose key the target already holds is left alone, so a
second run copies nothing. Refused, before anything is written, when the target holds *other*
rows under the same ids (another team's log): a copy merges into an empty log or into an earlier
copy of this one, never into a log that grew on its own. After the copy every source key is
checked to be in the target, and the sequences move past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from fieldsignal.errors import FieldsignalError
from fieldsignal.store.db import dialect_of, transaction, values_clause

# table, its key columns, a column whose value must agree for a key both sides hold, its id sequence
TABLES: tuple[tuple[str, tuple[str, ...], str | None, str | None], ...] = (
    ("notes", ("id",), "hash", "note_id_seq"),
    ("signals", ("id",), "note_id", "signal_id_seq"),
    ("status_history", ("signal_id", "seq"), "status", "status_history_seq"),
    ("review_queue", ("signal_id",), None, None),
    ("embeddings", ("hash",), None, None),
    ("signal_vectors", ("signal_id",), "hash", None),
    ("labelled_examples", ("id",), "text", "example_id_seq"),
    ("llm_cache", ("key",), None, None),
    ("llm_usage", ("id",), "called_at", "llm_usage_id_seq"),
    ("drafts", ("id",), "period", "draft_id_seq"),
    ("draft_versions", ("draft_id", "version"), "body", None),
    ("accounts", ("name",), None, None),
    ("promoted_gaps", ("slug",), "definition", None),
    ("rejections", ("seq",), "signal_id", "rejection_seq"),
)
CHUNK = 500


class TableCopy(BaseModel):
    table: str
    source: int  # rows in the source
    copied: int  # rows written now
    target: int  # rows in the target after the copy


def copy_log(src: Any, dst: Any, progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of the log from `src` into `dst` (both migrated); the counts, checked."""
    data = {table: _rows(src, table) for table, *_ in TABLES}
    with transaction(dst):
        plans = [_plan(dst, spec, *data[spec[0]]) for spec in TABLES]  # every conflict found before any write
        out = []
        for (table, *_), (columns, fresh) in zip(TABLES, plans, strict=True):
            for start in range(0, len(fresh), CHUNK):
                marks, params = values_clause(fresh[start : start + CHUNK])
                dst.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks}", params)
                if progress:
                    progress(table, min(start + CHUNK, len(fresh)))
            out.append(TableCopy(table=table, source=len(data[table][1]), copied=len(fresh), target=0))
        for table, _, _, sequence in TABLES:
            if sequence:
                _advance(dst, table, sequence)
    for entry, spec in zip(out, TABLES, strict=True):
        entry.target = int(dst.execute(f"SELECT count(*) FROM {entry.table}").fetchone()[0])
        _check_all_there(dst, spec, *data[entry.table])
    return out


def _rows(con: Any, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cursor.description]
    return columns, [tuple(r) for r in cursor.fetchall()]


def _keys(con: Any, table: str, key: tuple[str, ...], check: str | None) -> dict[tuple[Any, ...], Any]:
    wanted = [*key, check] if check else list(key)
    rows = con.execute(f"SELECT {', '.join(wanted)} FROM {table}").fetchall()
    return {tuple(r[: len(key)]): (r[len(key)] if check else None) for r in rows}


def _plan(
    dst: Any, spec: tuple[str, tuple[str, ...], str | None, str | None], columns: list[str], rows: list[Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    table, key, check, _ = spec
    have = _keys(dst, table, key, check)
    at = [columns.index(k) for k in key]
    checked = columns.index(check) if check else None
    fresh = []
    for row in rows:
        k = tuple(row[i] for i in at)
        if k not in have:
            fresh.append(row)
        elif checked is not None and have[k] != row[checked]:
            raise FieldsignalError(
                f"the target already holds a different {table} row under {dict(zip(key, k, strict=True))}: "
                "copy into an empty database (or an earlier copy of this log)"
            )
    if table == "notes":  # the same note under another id would be refused by its unique hash
        by_hash = {h: i for (i,), h in have.items()}
        h_at, id_at = columns.index("hash"), columns.index("id")
        for row in fresh:
            if row[h_at] in by_hash:
                raise FieldsignalError(
                    f"the target holds note {row[h_at][:12]} under id {by_hash[row[h_at]]}, not {row[id_at]}: "
                    "copy into an empty database"
                )
    return columns, fresh


def _advance(dst: Any, table: str, sequence: str) -> None:
    column = "seq" if table in ("status_history", "rejections") else "id"
    top = dst.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
    if top is None:
        return
    if dialect_of(dst) == "postgres":
        dst.execute("SELECT setval(?, ?)", [sequence, int(top)])
    else:  # DuckDB cannot set a sequence: draw it past the copied ids
        at = int(dst.execute(f"SELECT nextval('{sequence}')").fetchone()[0])
        if at < int(top):
            dst.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [int(top) - at])


def _check_all_there(
    dst: Any, spec: tuple[str, tuple[str, ...], str | None, str | None], columns: list[str], rows: list[Any]
) -> None:
    table, key, _, _ = spec
    have = _keys(dst, table, key, None)
    at = [columns.index(k) for k in key]
    missing = sum(1 for row in rows if tuple(row[i] for i in at) not in have)
    if missing:
        raise FieldsignalError(f"the copy is incomplete: {missing} {table} rows are not in the target")

"""A locked-down copy of the `signal_log` view for SQL that a model wrote.

The copy (from either engine) is an in-memory DuckDB database that holds one table, `signal_log`, and nothing else:
no notes, no other tables, no files (external access is off and the configuration is locked, so a
query cannot turn it back on), one thread and a memory limit. It is built from the workspace's
read-only connection and then needs no lock on the workspace, so a slow model call holds nothing
that a writer waits for.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from fieldsignal.store.db import dialect_of, values_clause

VIEW = "signal_log"
MEMORY_LIMIT = "256MB"
ROW_LIMIT = 1000
TIMEOUT_SECONDS = 5.0


class UnsafeSQL(ValueError):
    """The SQL is not a single SELECT over the documented view, or it did not run."""


def snapshot(con: Any, memory_limit: str = MEMORY_LIMIT) -> Any:
    """A sandboxed in-memory connection holding a copy of `signal_log` from `con` (either engine)."""
    import duckdb

    box = duckdb.connect(":memory:")
    try:
        if dialect_of(con) == "duckdb":
            with tempfile.TemporaryDirectory(prefix="fieldsignal-sandbox-") as folder:
                path = Path(folder) / "signal_log.parquet"
                con.execute(f"COPY (SELECT * FROM {VIEW}) TO '{path}' (FORMAT parquet)")
                box.execute(f"CREATE TABLE {VIEW} AS SELECT * FROM read_parquet('{path}')")
        else:
            _copy_rows(con.execute(f"SELECT * FROM {VIEW}"), box)
        lock_down(box, memory_limit)
    except Exception:
        box.close()
        raise
    return box


# PostgreSQL type names (psycopg's) of the view's columns, as DuckDB types; anything else: VARCHAR
_TYPES = {
    "int4": "INTEGER",
    "int8": "BIGINT",
    "int2": "SMALLINT",
    "date": "DATE",
    "bool": "BOOLEAN",
    "float8": "DOUBLE",
    "float4": "REAL",
    "timestamp": "TIMESTAMP",
    "numeric": "DOUBLE",
}


def _copy_rows(cursor: Any, box: Any, chunk: int = 500) -> None:
    from psycopg.postgres import types

    columns = []
    for d in cursor.description:
        info = types.get(d.type_code)
        columns.append(f'"{d.name}" {_TYPES.get(info.name if info else "", "VARCHAR")}')
    box.execute(f"CREATE TABLE {VIEW} ({', '.join(columns)})")
    rows = cursor.fetchall()
    for start in range(0, len(rows), chunk):
        marks, params = values_clause(rows[start : start + chunk])
        box.execute(f"INSERT INTO {VIEW} VALUES {marks}", params)


def lock_down(box: Any, memory_limit: str = MEMORY_LIMIT) -> None:
    """No file system, no extensions, bounded memory and threads, and no way to undo any of it."""
    for setting, value in (
        ("enable_external_access", "false"),
        ("autoload_known_extensions", "false"),
        ("autoinstall_known_extensions", "false"),
        ("memory_limit", f"'{memory_limit}'"),
        ("max_temp_directory_size", "'0B'"),
        ("threads", "1"),
        ("lock_configuration", "true"),
    ):
        box.execute(f"SET {setting} = {value}")


def statement_tree(con: Any, sql: str) -> dict[str, Any]:
    """DuckDB's own parse of `sql`, as JSON (nothing runs): what the validator walks."""
    tree: dict[str, Any] = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    return tree


def run_limited(con: Any, sql: str, timeout: float = TIMEOUT_SECONDS) -> tuple[list[str], list[list[Any]]]:
    """Run on the given (sandbox) connection with a row limit; interrupt it after `timeout` seconds."""
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        cursor = con.execute(f"SELECT * FROM ({sql.rstrip().rstrip(';')}) AS answer LIMIT {ROW_LIMIT}")
        columns = [d[0] for d in cursor.description]
        rows = [list(r) for r in cursor.fetchall()]
    except Exception as exc:
        if not timer.is_alive():
            raise UnsafeSQL(f"the query ran over {timeout:g} s and was stopped") from None
        kind = type(exc).__name__.removesuffix("Exception").removesuffix("Error") or "an"
        raise UnsafeSQL(f"the query failed when it ran ({kind} error); write a simpler one") from None
    finally:
        timer.cancel()
    return columns, rows

"""DuckDB log files attached to one in-memory DuckDB instance per process.

Starting a DuckDB database instance costs 12-15 ms on this machine (DuckDB 2.0; a `:memory:`
one as much as a file's), and a command opened the log several times (a paste about ten:
known notes, corrections, promoted gaps, the write, the index check). Attaching the file to
an instance started once per process costs about 2 ms, and detaching it releases the file's
lock and checkpoints it exactly as closing a connection to it did, so other processes see the
same single-writer file they always did. Each connection is a cursor of the instance with the
attached file as its default catalog (`USE`), so the SQL is unchanged.
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_INSTANCES: dict[int, Any] = {}  # process id -> its in-memory DuckDB instance, started at its first open
_ALIASES = itertools.count(1)
_ATTACHED: dict[int, str] = {}  # id(connection) -> the catalog name its file is attached as


def _instance() -> Any:
    """This process's instance. A forked child starts its own (DuckDB's threads do not fork) and never
    destroys its parent's copy: freeing it in the child would crash it."""
    with _LOCK:
        pid = os.getpid()
        if pid not in _INSTANCES:
            import duckdb

            _INSTANCES[pid] = duckdb.connect(":memory:")
        return _INSTANCES[pid]


def attach(path: Path, read_only: bool) -> Any:
    """A connection whose default catalog is the file at `path` (raises DuckDB's own errors: a file
    another process holds gives the same "Could not set lock" IOException as `duckdb.connect`)."""
    alias = f"fieldsignal_log_{next(_ALIASES)}"
    con = _instance().cursor()
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS {alias}" + (" (READ_ONLY)" if read_only else ""))
        _ATTACHED[id(con)] = alias
        con.execute(f"USE {alias}")
    except BaseException:
        close(con)
        raise
    return con


def close(con: Any) -> None:
    """Close a store connection (either engine); a DuckDB file it attached is detached (checkpointed,
    its lock released)."""
    alias = _ATTACHED.pop(id(con), None)
    try:
        con.close()  # whatever transaction it left open is rolled back
    finally:
        if alias is not None:  # detached even if closing failed: a file left attached stays locked
            detacher = _instance().cursor()
            try:
                detacher.execute(f"DETACH DATABASE IF EXISTS {alias}")
            finally:
                detacher.close()

"""Opening the log: a DuckDB file (the embedded default) or a PostgreSQL database; migrations.

DuckDB lets one process write a file (and while it does, no other process may open
it). Every command therefore opens the store for as short a time as it can: slow work
(reading files, embedding) happens before `open_store(..., write=True)`, and a
connection that finds the file locked retries until `lock_timeout` has passed.
PostgreSQL (store/postgres.py) takes many writers at once; the same numbered migrations
apply to both (a version may have an engine's own file: `009_name.postgres.sql`).
"""

from __future__ import annotations

import atexit
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fieldsignal.errors import StoreBusyError
from fieldsignal.store import attached
from fieldsignal.store.postgres import is_url

_MIGRATION_NAME = re.compile(r"^(\d{3})_[\w-]+?(?:\.(duckdb|postgres))?\.sql$")
Where = Path | str  # the DuckDB file, or a postgresql:// URL


def dialect_of(con: Any) -> str:
    return str(getattr(con, "dialect", "duckdb"))


def migrations(dialect: str = "duckdb") -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every numbered migration, in order: an engine's own file of a
    version (`NNN_name.postgres.sql`) where there is one, else the shared `NNN_name.sql`."""
    folder = resources.files("fieldsignal.store") / "migrations"
    found: dict[int, tuple[int, str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        match = _MIGRATION_NAME.match(entry.name)
        if not match or match.group(2) not in (None, dialect):
            continue
        version = int(match.group(1))
        if version not in found or match.group(2) == dialect:
            found[version] = (version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def migrate(con: Any) -> list[str]:
    """Apply the migrations this database has not seen; returns their names."""
    postgres = dialect_of(con) == "postgres"
    if postgres:  # one process migrates at a time; the others then find it done
        con.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    try:
        return _apply(con, dialect_of(con))
    finally:
        if postgres:
            con.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")


MIGRATION_LOCK = 4242001  # PostgreSQL advisory lock key held while migrating


def _apply(con: Any, dialect: str) -> list[str]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    pending = [m for m in migrations(dialect) if m[0] not in done]
    if not pending:
        return []
    # All pending migrations in one transaction: an upgrade lands whole or not at all, and a new log is
    # created in one commit (15 ms instead of 36 on DuckDB: each commit is a write to the file), its
    # migrations recorded in one statement (0.7 ms each on DuckDB: a new log took 33 ms, about 23 ms after).
    con.execute("BEGIN TRANSACTION")
    try:
        for version, _, sql in pending:
            con.execute(sql)
            if version in _AFTER:
                _AFTER[version](con)
        marks, params = values_clause([(version, name) for version, name, _ in pending])
        con.execute(f"INSERT INTO schema_migrations (version, name) VALUES {marks}", params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return [name for _, name, _ in pending]


def _fill_customer_keys(con: Any) -> None:
    """007: the key of every stored customer (computed in Python, as for new rows)."""
    from fieldsignal.records import customer_key

    rows = con.execute("SELECT id, customer FROM signals WHERE customer IS NOT NULL").fetchall()
    if rows:
        con.executemany("UPDATE signals SET customer_key = ? WHERE id = ?", [[customer_key(c), i] for i, c in rows])


_AFTER = {7: _fill_customer_keys}  # data steps that follow a migration's SQL, in its transaction


def schema_version(con: Any) -> int:
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _connect(path: Path, read_only: bool, timeout: float) -> Any:
    import duckdb

    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            return attached.attach(path, read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise StoreBusyError(
                        f"the workspace database {path} is busy (another fieldsignal process is "
                        f"writing); tried for {timeout:.0f}s"
                    ) from None
                raise
            # Short, jittered polls: another writer holds the file only for one batch's inserts, and a
            # waiter that sleeps long (or in step with a rival) keeps missing the gaps between them.
            time.sleep(min(delay * random.uniform(0.5, 1.5), max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 2, 0.1)


# One connection at a time within a process: DuckDB refuses a read-only and a read-write
# connection to the same file side by side in one process (the web server's threads);
# across processes the file lock decides, and `_connect` waits it out.
_PROCESS_LOCK = threading.RLock()
_CURRENT: set[str] = set()  # database files this process has seen at the latest schema
_HELD = threading.local()  # how many store connections this thread has open


@contextmanager
def open_store(
    where: Where, write: bool = False, timeout: float = 15.0, linger: float = 0.0, instance: str | None = None
) -> Iterator[Any]:
    """A connection to the log (the DuckDB file, or a postgresql:// URL), migrated, closed on exit.

    `linger` > 0 (the web server): the connection is kept open that many idle seconds for the next
    request of this process, instead of paying the open (tens of ms) each time; a DuckDB file is never
    held longer than MAX_HOLD seconds in a row, so another process waiting for the file gets its turn.
    `instance`: the Lakebase instance to mint a password for (store/lakebase.py)."""
    open_here: dict[str, tuple[Any, bool]] = _HELD.__dict__.setdefault("open", {})
    key = _key(where)
    outer = open_here.get(key)
    if outer is not None and (outer[1] or not write):  # nested in this thread: the connection already open
        yield outer[0]
        return
    if outer is not None:
        raise RuntimeError("a write connection asked for inside a read-only one of the same thread")
    with _PROCESS_LOCK, _open(where, write, timeout, linger, instance) as con:
        _HELD.depth = getattr(_HELD, "depth", 0) + 1
        open_here[key] = (con, write or is_url(where))
        try:
            yield con
        finally:
            _HELD.depth -= 1
            del open_here[key]


def _key(where: Where) -> str:
    return str(where) if is_url(where) else str(Path(where).resolve())


@contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """BEGIN … COMMIT on `con`, rolled back if the block raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def holding_store() -> bool:
    """True while this thread has a store connection open (and so the process lock and the file lock)."""
    return getattr(_HELD, "depth", 0) > 0


def release_before_network(what: str) -> None:
    """Call before a network call (an LLM request): a connection held across it would stall every writer."""
    if holding_store():
        raise RuntimeError(f"{what} while a workspace database connection is open: release the store first")


@dataclass
class _Kept:
    con: Any
    write: bool
    since: float  # when it was opened
    timer: threading.Timer | None = None


MAX_HOLD = 5.0  # seconds a lingering DuckDB connection may be kept in a row
PG_IDLE = 300.0  # seconds a lingering PostgreSQL connection may idle
_KEPT: dict[str, _Kept] = {}  # database file -> its idle connection (under _PROCESS_LOCK)


def close_idle() -> None:
    """Close the connections kept open by `linger` (before a file is deleted, at exit)."""
    with _PROCESS_LOCK:
        for kept in _KEPT.values():
            if kept.timer is not None:
                kept.timer.cancel()
            attached.close(kept.con)
        _KEPT.clear()


def _expire(key: str, kept: _Kept) -> None:
    with _PROCESS_LOCK:
        if _KEPT.get(key) is kept:
            del _KEPT[key]
            attached.close(kept.con)


def _take_kept(key: str, write: bool) -> _Kept | None:
    kept = _KEPT.pop(key, None)
    if kept is None:
        return None
    if kept.timer is not None:
        kept.timer.cancel()
    if write and not kept.write:  # a read-only connection cannot write: this one gives way
        attached.close(kept.con)
        return None
    return kept


@contextmanager
def _open(where: Where, write: bool, timeout: float, linger: float = 0.0, instance: str | None = None) -> Iterator[Any]:
    shared = is_url(where)
    path = Path(where)
    if not shared and not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    key = _key(where)
    kept = _take_kept(key, write or shared)
    if kept is not None and (getattr(kept.con, "closed", False) or not (shared or path.exists())):
        attached.close(kept.con)  # a file deleted meanwhile (that connection holds nothing), or a broken connection
        kept = None
    if kept is None:
        if shared:
            kept = _Kept(_postgres_migrated(str(where), key, timeout, instance), True, time.monotonic())
        else:
            kept = _Kept(_connect_migrated(path, key, write, timeout), write, time.monotonic())
    failed = True
    try:
        yield kept.con
        failed = False
    finally:
        held_too_long = not shared and time.monotonic() - kept.since >= MAX_HOLD
        if failed or linger <= 0 or held_too_long:
            attached.close(kept.con)
        else:
            # a PostgreSQL connection blocks no other process: it may idle longer than a DuckDB file's
            kept.timer = threading.Timer(max(linger, PG_IDLE) if shared else linger, _expire, (key, kept))
            kept.timer.daemon = True
            _KEPT[key] = kept
            kept.timer.start()


def _postgres_migrated(url: str, key: str, timeout: float, instance: str | None) -> Any:
    from fieldsignal.store.postgres import connect

    con = connect(url, timeout, instance)
    if key not in _CURRENT:
        try:
            if _needs_migration(con):
                migrate(con)
        except Exception:
            attached.close(con)
            raise
        _CURRENT.add(key)
    return con


def _connect_migrated(path: Path, key: str, write: bool, timeout: float) -> Any:
    con = None
    try:
        if not write and path.exists():
            con = _connect(path, read_only=True, timeout=timeout)
            if key not in _CURRENT and _needs_migration(con):  # the read connection checks the schema too
                attached.close(con)
                con = None
        if con is None:
            fresh = not path.exists()  # a file deleted since (a reset) is migrated again
            con = _connect(path, read_only=False, timeout=timeout)
            if fresh or key not in _CURRENT:
                migrate(con)
            if not write:
                attached.close(con)
                con = None
                con = _connect(path, read_only=True, timeout=timeout)
    except BaseException:
        if con is not None:
            attached.close(con)  # a failed migration leaves the file attached to nothing (and so not locked)
        raise
    _CURRENT.add(key)  # checked once per process: later reads skip the schema check
    return con


atexit.register(close_idle)


def _needs_migration(con: Any) -> bool:
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = current_schema()"
        ).fetchall()
    }
    if "schema_migrations" not in tables:
        return True
    return schema_version(con) < max(v for v, _, _ in migrations(dialect_of(con)))


def values_clause(rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """`(?, ?), (?, ?)` for a multi-row VALUES clause, and the flat parameters."""
    marks = ", ".join("(" + ", ".join("?" for _ in row) + ")" for row in rows)
    return marks, [v for row in rows for v in row]


def placeholders(values: Sequence[Any]) -> str:
    """`?, ?, ?`: one parameter per value (for `IN (…)`)."""
    return ", ".join("?" for _ in values)


def date_range(since: Any, until: Any) -> tuple[list[str], list[Any]]:
    """The clauses and parameters that keep signals dated from `since` to `until` (either may be None)."""
    clauses, params = [], []
    if since:
        clauses.append("signal_date >= ?")
        params.append(since)
    if until:
        clauses.append("signal_date <= ?")
        params.append(until)
    return clauses, params

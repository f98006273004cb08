"""The log in PostgreSQL (a team's shared log; Lakebase in a Databricks App), through psycopg.

The store's SQL is written once, for both engines: `?` placeholders and the functions both know
(with `iso_week`/`year_month` defined by migration 009 on each). `PgConnection` gives a psycopg
connection the small part of DuckDB's connection API the store uses (`execute` returning something
to fetch from, `executemany`, `description`), translating placeholders; it runs in autocommit, so
`BEGIN … COMMIT` (store.db.transaction) means what it means on DuckDB. Numbers come back as Python
ints and floats, not Decimals (PostgreSQL's sum of BIGINT is NUMERIC).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from typing import Any

from fieldsignal.errors import FieldsignalError, StoreBusyError

DIALECT = "postgres"


def is_url(where: object) -> bool:
    return isinstance(where, str) and where.startswith(("postgresql://", "postgres://"))


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (outside quoted text), and literal `%` doubled."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PgConnection:
    """A psycopg connection with the DuckDB-like surface the store's functions use."""

    dialect = DIALECT

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        cursor = self.raw.cursor()
        if params:
            cursor.execute(to_pyformat(sql), list(params))
        else:
            cursor.execute(sql)
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), [list(r) for r in rows])

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed or self.raw.broken)


def connect(url: str, timeout: float, instance: str | None = None) -> PgConnection:
    """A connection to the log's database (retried while the server is starting or unreachable)."""
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo
    except ImportError:
        raise FieldsignalError("a PostgreSQL log needs psycopg: pip install 'psycopg[binary]'") from None

    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        try:
            conninfo = make_conninfo(url, connect_timeout=max(int(timeout), 2), **_password(url, instance))
            raw = psycopg.connect(conninfo, autocommit=True)
            break
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline or "password authentication failed" in str(exc):
                where = safe_url(url)
                raise StoreBusyError(f"cannot reach the PostgreSQL log at {where}: {_first_line(exc)}") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    _register_numbers(raw)
    return PgConnection(raw)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def safe_url(url: str) -> str:
    """The URL without its password (for messages)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or os.environ.get("PGHOST", "PGHOST")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _password(url: str, instance: str | None) -> dict[str, str]:
    """An OAuth token as the password (Lakebase), when the URL and PGPASSWORD have none."""
    from urllib.parse import urlsplit

    if urlsplit(url).password or os.environ.get("PGPASSWORD") or "password=" in url:
        return {}
    if not (instance or os.environ.get("FIELDSIGNAL_DATABASE_INSTANCE")):
        return {}
    from fieldsignal.store.lakebase import token

    return {"password": token(instance or os.environ["FIELDSIGNAL_DATABASE_INSTANCE"])}


def _register_numbers(raw: Any) -> None:
    from psycopg.adapt import Loader

    class Number(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    raw.adapters.register_loader("numeric", Number)


def advisory_lock(con: PgConnection) -> None:
    """Serialise schema migrations across processes (released at COMMIT)."""
    con.execute("SELECT pg_advisory_xact_lock(4242001)")

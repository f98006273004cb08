"""The account list: canonical customer names a note's customer mention is linked to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any


def add_accounts(con: Any, names: Sequence[str], source: str, now: dt.datetime) -> int:
    """Add the names not yet listed (compared without case); returns how many were added."""
    have = {n.casefold() for n in account_names(con)}
    fresh = list(dict.fromkeys(n for n in names if n.casefold() not in have))
    if fresh:
        rows = [(n, source, now) for n in fresh]
        con.executemany("INSERT INTO accounts (name, source, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows)
    return len(fresh)


def account_names(con: Any) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM accounts ORDER BY name").fetchall()]


def account_count(con: Any) -> int:
    return int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])

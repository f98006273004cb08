"""The account list: canonical customer names a note's customer mention is linked to, with their industry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any


def add_accounts(
    con: Any, accounts: Sequence[tuple[str, str | None]], source: str, now: dt.datetime
) -> tuple[int, int]:
    """Add the (name, industry code) pairs not yet listed (names compared without case), and give a listed
    account the industry the export gives it; returns (added, industries changed)."""
    have = {name.casefold(): (name, industry) for name, industry in account_industries(con, every=True).items()}
    fresh: dict[str, tuple[str, str | None]] = {}
    changed: list[tuple[str, str]] = []
    for name, industry in accounts:
        key = name.casefold()
        if key in have:
            listed, was = have[key]
            if industry and industry != was:
                changed.append((industry, listed))
                have[key] = (listed, industry)
        else:
            fresh.setdefault(key, (name, industry))
    if fresh:
        rows = [(name, industry, source, now) for name, industry in fresh.values()]
        con.executemany(
            "INSERT INTO accounts (name, industry, source, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
        )
    if changed:
        con.executemany("UPDATE accounts SET industry = ? WHERE name = ?", changed)
    return len(fresh), len(changed)


def account_names(con: Any) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM accounts ORDER BY name").fetchall()]


def account_industries(con: Any, every: bool = False) -> dict[str, str | None]:
    """Each account's industry code (only the accounts that have one, unless `every`)."""
    where = "" if every else " WHERE industry IS NOT NULL"
    return {r[0]: r[1] for r in con.execute(f"SELECT name, industry FROM accounts{where} ORDER BY name").fetchall()}


def account_count(con: Any) -> int:
    return int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])

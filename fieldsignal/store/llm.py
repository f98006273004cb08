"""LLM answer cache and token usage: repository functions over migration 003's tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from fieldsignal.store.db import placeholders


class UsageRecord(BaseModel):
    called_at: dt.datetime
    model: str
    prompt_id: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    ok: bool = True
    error: str | None = None
    seconds: float | None = None


class CacheEntry(BaseModel):
    key: str
    prompt_id: str
    model: str
    response: str  # JSON, still redacted


class UsageRow(BaseModel):
    model: str
    prompt_id: str
    calls: int
    cached: int
    failed: int
    input_tokens: int
    output_tokens: int


def lookup_cache(con: Any, keys: Sequence[str]) -> dict[str, str]:
    if not keys:
        return {}
    rows = con.execute(
        f"SELECT key, response FROM llm_cache WHERE key IN ({placeholders(keys)})", list(keys)
    ).fetchall()
    return {k: r for k, r in rows}


def save_cache(con: Any, entries: Sequence[CacheEntry], now: dt.datetime) -> None:
    for e in sorted(entries, key=lambda e: e.key):
        con.execute(
            "INSERT INTO llm_cache VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            [e.key, e.prompt_id, e.model, e.response, now],
        )


def record_usage(con: Any, records: Sequence[UsageRecord]) -> None:
    for r in records:
        con.execute(
            "INSERT INTO llm_usage (called_at, model, prompt_id, input_tokens, output_tokens, cached, ok, error, "
            "seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.called_at, r.model, r.prompt_id, r.input_tokens, r.output_tokens, r.cached, r.ok, r.error, r.seconds],
        )


def usage_summary(con: Any, since: dt.date | None = None) -> list[UsageRow]:
    where, params = ("WHERE called_at >= ?", [since]) if since is not None else ("", [])
    rows = con.execute(
        "SELECT model, prompt_id, count(*), count(*) FILTER (WHERE cached), count(*) FILTER (WHERE NOT ok), "
        f"coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0) FROM llm_usage {where} "
        "GROUP BY model, prompt_id ORDER BY model, prompt_id",
        params,
    ).fetchall()
    return [
        UsageRow(
            model=r[0], prompt_id=r[1], calls=r[2], cached=r[3], failed=r[4], input_tokens=r[5], output_tokens=r[6]
        )
        for r in rows
    ]

"""Gaps promoted from proposals (migration 010): part of the log, read into the workspace's taxonomy."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def promoted_gaps(con: Any) -> list[dict[str, Any]]:
    """Every promoted gap's definition, in the order they were promoted."""
    rows = con.execute("SELECT definition FROM promoted_gaps ORDER BY promoted_at, slug").fetchall()
    return [json.loads(r[0]) for r in rows]


def add_promoted_gap(con: Any, definition: dict[str, Any], who: str, now: dt.datetime) -> bool:
    """Store a promoted gap; False when a gap with its slug is already there (promoted meanwhile elsewhere)."""
    inserted = con.execute(
        "INSERT INTO promoted_gaps (slug, definition, promoted_by, promoted_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (slug) DO NOTHING RETURNING slug",
        [definition["slug"], json.dumps(definition, ensure_ascii=False), who, now],
    ).fetchall()
    return bool(inserted)

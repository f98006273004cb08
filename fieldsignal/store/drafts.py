"""Drafts and their versions (migration 004): every edit is a new version; nothing is overwritten."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from fieldsignal.errors import FieldsignalError, NotFoundError


class DraftVersion(BaseModel):
    version: int
    body: str
    facts: str
    source: str
    who: str
    created_at: dt.datetime


class Draft(BaseModel):
    id: int
    kind: str
    period: str
    status: str
    created_at: dt.datetime
    approved_version: int | None
    approved_by: str | None
    approved_at: dt.datetime | None
    published_at: dt.datetime | None
    published_to: str | None
    versions: list[DraftVersion] = []

    @property
    def latest(self) -> DraftVersion:
        return self.versions[-1]


_COLUMNS = (
    "id, kind, period, status, created_at, approved_version, approved_by, approved_at, published_at, published_to"
)


def add_version(
    con: Any, kind: str, period: str, body: str, facts: str, source: str, who: str, now: dt.datetime
) -> Draft:
    """A new version of the (kind, period) draft, created if need be; it needs approval again."""
    row = con.execute("SELECT id FROM drafts WHERE kind = ? AND period = ?", [kind, period]).fetchone()
    if row is None:
        draft_id = con.execute(
            "INSERT INTO drafts (kind, period, status, created_at) VALUES (?, ?, 'draft', ?) RETURNING id",
            [kind, period, now],
        ).fetchone()[0]
        version = 1
    else:
        draft_id = row[0]
        version = con.execute("SELECT max(version) + 1 FROM draft_versions WHERE draft_id = ?", [draft_id]).fetchone()[
            0
        ]
        con.execute("UPDATE drafts SET status = 'draft' WHERE id = ?", [draft_id])
    con.execute(
        "INSERT INTO draft_versions VALUES (?, ?, ?, ?, ?, ?, ?)", [draft_id, version, body, facts, source, who, now]
    )
    return get_draft(con, draft_id)


def get_draft(con: Any, draft_id: int) -> Draft:
    row = con.execute(f"SELECT {_COLUMNS} FROM drafts WHERE id = ?", [draft_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no draft {draft_id} (see `fieldsignal drafts list`)")
    draft = Draft(**dict(zip(_COLUMNS.split(", "), row, strict=True)))
    versions = con.execute(
        "SELECT version, body, facts, source, who, created_at FROM draft_versions WHERE draft_id = ? ORDER BY version",
        [draft_id],
    ).fetchall()
    fields = ("version", "body", "facts", "source", "who", "created_at")
    draft.versions = [DraftVersion(**dict(zip(fields, v, strict=True))) for v in versions]
    return draft


def list_drafts(con: Any) -> list[Draft]:
    ids = [r[0] for r in con.execute("SELECT id FROM drafts ORDER BY created_at DESC, id DESC").fetchall()]
    return [get_draft(con, i) for i in ids]


def approve(con: Any, draft_id: int, who: str, now: dt.datetime) -> Draft:
    draft = get_draft(con, draft_id)
    con.execute(
        "UPDATE drafts SET status = 'approved', approved_version = ?, approved_by = ?, approved_at = ? WHERE id = ?",
        [draft.latest.version, who, now, draft_id],
    )
    return get_draft(con, draft_id)


def mark_published(con: Any, draft_id: int, where: str, now: dt.datetime) -> Draft:
    draft = get_draft(con, draft_id)
    if draft.status not in ("approved", "published") or draft.approved_version != draft.latest.version:
        raise FieldsignalError(f"draft {draft_id} is not approved in its latest version: `fieldsignal drafts approve`")
    con.execute(
        "UPDATE drafts SET status = 'published', published_at = ?, published_to = ? WHERE id = ?",
        [now, where, draft_id],
    )
    return get_draft(con, draft_id)

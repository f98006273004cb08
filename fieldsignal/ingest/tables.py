"""CSV and JSONL exports: one note (or one labelled signal) per row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fieldsignal.errors import InputError

TEXT_COLUMNS = ("text", "note", "notes", "body", "content", "message", "description", "comment", "summary")
DATE_COLUMNS = ("date", "ts", "timestamp", "created", "created_at", "time", "sent")
AUTHOR_COLUMNS = ("author", "user", "from", "owner", "created_by", "name", "sender")
SOURCE_COLUMNS = ("source", "channel")
CUSTOMER_COLUMNS = ("customer", "account", "account_name", "company", "client")


@dataclass(frozen=True)
class ColumnMap:
    """Which column holds what; None means: the first default name present."""

    text: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    customer: str | None = None
    defaults: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "text": TEXT_COLUMNS,
            "date": DATE_COLUMNS,
            "author": AUTHOR_COLUMNS,
            "source": SOURCE_COLUMNS,
            "customer": CUSTOMER_COLUMNS,
        }
    )

    def resolve(self, columns: list[str], what: str) -> dict[str, str | None]:
        lower = {c.strip().lower(): c for c in columns if c}
        chosen: dict[str, str | None] = {}
        for role, names in self.defaults.items():
            explicit = getattr(self, role)
            if explicit:
                if explicit.lower() not in lower:
                    raise InputError(f"{what}: no column {explicit!r} (columns: {', '.join(columns)})")
                chosen[role] = lower[explicit.lower()]
            else:
                chosen[role] = next((lower[n] for n in names if n in lower), None)
        if chosen["text"] is None:
            raise InputError(f"{what}: no text column (looked for {', '.join(TEXT_COLUMNS)}); name it with --text-col")
        return chosen


def iter_csv_rows(text: str, what: str) -> Iterator[dict[str, Any]]:
    try:
        sample = text[:8192]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
    if not reader.fieldnames:
        raise InputError(f"{what}: empty CSV (no header row)")
    header = len(reader.fieldnames)
    try:
        for row in reader:
            if None in row or (len(row) != header):
                raise InputError(
                    f"{what}: malformed CSV at line {reader.line_num}: "
                    f"expected {header} fields, got {len(row) + len(row.get(None) or []) - (None in row)}"
                )
            yield row
    except csv.Error as exc:
        raise InputError(f"{what}: malformed CSV at line {reader.line_num}: {exc}") from None


def iter_jsonl_rows(text: str, what: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{what}: line {number} is not valid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise InputError(f"{what}: line {number} is not a JSON object")
        yield row


def parse_date(value: Any) -> dt.date | None:
    """ISO dates and datetimes, Slack epoch timestamps, US m/d/Y; None when unparseable."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        seconds = float(raw)
        if 1e9 < seconds < 1e11:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y", "%m/%d/%y", "%d %b %Y", "%b %d, %Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


_ISO_DATE = re.compile(r"(?<!\d)(20\d\d)-([01]\d)-([0-3]\d)(?!\d)")


def leading_date(name: str, text: str) -> dt.date | None:
    """A text file's date: an ISO date in its file name, else in its first three lines."""
    for place in (name, *text.splitlines()[:3]):
        match = _ISO_DATE.search(place)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                continue
    return None

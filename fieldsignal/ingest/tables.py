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

# Header names are compared as words joined by "_" ("Account Name", "account-name" and "account_name" are one).
TEXT_COLUMNS = ("text", "note", "notes", "body", "content", "message", "description", "comment", "summary")
DATE_COLUMNS = (
    "date", "ts", "timestamp", "created", "created_at", "time", "sent", "created_date", "close_date", "activity_date",
)  # fmt: skip
AUTHOR_COLUMNS = ("author", "user", "from", "owner", "created_by", "name", "sender")
SOURCE_COLUMNS = ("source", "channel")
CUSTOMER_COLUMNS = ("customer", "account", "account_name", "company", "client", "customer_name", "company_name")


FIELD = "field:"  # a resolved column map's keys for the columns added to the text (see ColumnMap.fields)


def header_key(name: str) -> str:
    """A column header as it is matched: lower case, its words joined by "_"."""
    return "_".join(re.findall(r"[^\W_]+", name.lower()))


@dataclass(frozen=True)
class ColumnMap:
    """Which column holds what; None means: the first default name present."""

    text: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    customer: str | None = None
    # other columns added to the note's text as "Column: value | …" (a CRM export's stage, amount, loss reason):
    # their names, or ("all",) for every column no role took
    fields: tuple[str, ...] = ()
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
        keyed: dict[str, str] = {}
        for c in columns:
            if c and header_key(c):
                keyed.setdefault(header_key(c), c)  # two headers alike: the first is meant

        def named(name: str) -> str:
            column = name if name in columns else keyed.get(header_key(name))
            if column is None:
                raise InputError(f"{what}: no column {name!r} (columns: {', '.join(columns)})")
            return column

        chosen: dict[str, str | None] = {}
        for role, names in self.defaults.items():
            explicit = getattr(self, role)
            chosen[role] = named(explicit) if explicit else next((keyed[n] for n in names if n in keyed), None)
        taken = set(chosen.values())
        wanted = [c for c in columns if c and c not in taken] if self.fields == ("all",) else self.fields
        for column in map(named, wanted):
            chosen[FIELD + column] = column
        if chosen["text"] is None:
            raise InputError(f"{what}: no text column (looked for {', '.join(TEXT_COLUMNS)}); name it with --text-col")
        return chosen


Row = tuple[int, dict[str, Any]]  # (1-based line the row starts on, its values by column)

# Largest CSV cell read, in characters: above any sensible note limit (a bigger cell is then
# refused as an oversized note, alone), yet bounded. The csv module's default is 131,072.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
_MAX_REREADS = 20  # unclosed quotes re-read from their next line; past this the rest of the file is refused


class _Lines:
    """A text's physical lines (\\n, \\r\\n or \\r) for csv.reader, counted, with rewind."""

    def __init__(self, text: str) -> None:
        self._buf = io.StringIO(text, newline="")
        self.line = 0  # lines handed out so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._buf.readline()
        if not line:
            raise StopIteration
        self.line += 1
        return line

    def mark(self) -> tuple[int, int]:
        return self._buf.tell(), self.line

    def rewind(self, mark: tuple[int, int]) -> None:
        self._buf.seek(mark[0])
        self.line = mark[1]

    def at_end(self) -> bool:
        here = self._buf.tell()
        more = bool(self._buf.read(1))
        self._buf.seek(here)
        return not more


def iter_csv_rows(text: str, what: str) -> Iterator[Row | InputError]:
    """Each data row with the line it starts on, or an InputError naming that line; a bad row never stops the rest."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        sample = text[:8192]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    lines = _Lines(text)
    # quotes inside quoted cells are doubled (RFC 4180), whatever the sample suggested to the sniffer
    reader = csv.reader(lines, dialect=dialect, doublequote=True, strict=True)
    header: list[str] | None = None
    rereads = 0
    while True:
        mark = lines.mark()
        start = mark[1] + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                raise InputError(f"{what}: line {start}: malformed CSV header: {exc}") from None
            spanned = lines.line - mark[1]
            if spanned > 1 and lines.at_end():  # an unclosed quote swallowed the rest: read on from its next line
                if rereads >= _MAX_REREADS:
                    yield InputError(
                        f"{what}: line {start}: malformed CSV: {exc}; too many unclosed quotes, rest unread"
                    )
                    return
                rereads += 1
                lines.rewind(mark)
                next(lines)
            yield InputError(f"{what}: line {start}: malformed CSV: {exc}")
            continue
        if not record:
            continue  # blank line
        if header is None:
            header = record
            continue
        extra = record[len(header) :]
        if any(value.strip() for value in extra):
            yield InputError(f"{what}: line {start}: malformed CSV: expected {len(header)} fields, got {len(record)}")
            continue
        values: list[str | None] = [*record[: len(header)], *[None] * (len(header) - len(record))]
        yield start, dict(zip(header, values, strict=True))
    if header is None:
        raise InputError(f"{what}: empty CSV (no header row)")


def iter_jsonl_rows(text: str, what: str) -> Iterator[Row | InputError]:
    """Each JSON object with its physical line number, or an InputError naming the line."""
    for number, line in enumerate(io.StringIO(text, newline="\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except RecursionError:
            yield InputError(f"{what}: line {number} nests too deeply to read")
            continue
        except json.JSONDecodeError as exc:
            yield InputError(f"{what}: line {number} is not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except ValueError as exc:  # e.g. an integer longer than Python will convert
            yield InputError(f"{what}: line {number} is not usable JSON: {exc}")
            continue
        if not isinstance(row, dict):
            yield InputError(f"{what}: line {number} is not a JSON object")
            continue
        yield number, row


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

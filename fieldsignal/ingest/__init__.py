"""Readers: pasted text, .txt/.md, .eml/.mbox, .csv/.jsonl, and folders of them.

`read_paths` yields, for every note found, either a NoteInput or the InputError that
explains why that input could not be used; a bad file never stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldsignal.errors import InputError
from fieldsignal.ingest.email import read_eml, read_mbox
from fieldsignal.ingest.tables import FIELD, ColumnMap, Row, iter_csv_rows, iter_jsonl_rows, leading_date, parse_date
from fieldsignal.ingest.text import DEFAULT_MAX_NOTE, decode, label_text, require_text, shown, unreadable
from fieldsignal.ingest.walk import walk_folder
from fieldsignal.models import NoteInput

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
EMAIL_SUFFIXES = {".eml"}
MBOX_SUFFIXES = {".mbox"}
TABLE_SUFFIXES = {".csv", ".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | EMAIL_SUFFIXES | MBOX_SUFFIXES | TABLE_SUFFIXES


@dataclass(frozen=True)
class ReadOptions:
    columns: ColumnMap = field(default_factory=ColumnMap)
    encoding: str | None = None
    max_note_bytes: int = DEFAULT_MAX_NOTE
    max_container_bytes: int = 200_000_000


def note_from_text(
    text: str, source: str = "paste", options: ReadOptions = ReadOptions(), what: str | None = None, **fields: Any
) -> NoteInput:
    """A pasted or file text as a note; InputError when it cannot be one."""
    checked = require_text(text, what or source, options.max_note_bytes)
    return NoteInput(text=checked, source=source, **fields)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path | InputError]:
    """Files as given (a link named here is the user's choice), folders walked (see ingest.walk)."""
    for path in paths:
        if path.is_dir():
            found = False
            for item in walk_folder(path, SUPPORTED):
                found = found or isinstance(item, Path)
                yield item
            if not found:
                yield InputError(f"{shown(path)}: folder holds no supported files ({', '.join(sorted(SUPPORTED))})")
        elif path.is_file():
            yield path
        else:
            yield InputError(f"{shown(path)}: no such file or folder")


def read_paths(paths: Iterable[Path], options: ReadOptions = ReadOptions()) -> Iterator[NoteInput | InputError]:
    for item in expand_paths(paths):
        if isinstance(item, InputError):
            yield item
        else:
            yield from read_one(item, options)


def read_one(
    path: Path, options: ReadOptions = ReadOptions(), label: str | None = None
) -> Iterator[NoteInput | InputError]:
    """`read_file`, with whatever goes wrong turned into one InputError: a bad file never stops the others."""
    what = label or shown(path)
    try:
        yield from read_file(path, options, label)
    except InputError as exc:
        yield exc
    except OSError as exc:
        yield InputError(f"{what}: cannot read: {exc.strerror or exc}")
    except Exception as exc:  # input from outside: any failure is this file's, reported in one line
        yield InputError(f"{what}: {unreadable(exc)}")


def read_file(
    path: Path, options: ReadOptions = ReadOptions(), label: str | None = None
) -> Iterator[NoteInput | InputError]:
    """The notes in one file. `label` names it in sources and messages instead of its path (uploads)."""
    what = label or shown(path)
    name = label_text(Path(label).name if label else path.name, max_chars=300)  # file names hold <= 255 bytes
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{what}: unsupported file type {suffix or '(none)'} (use {', '.join(sorted(SUPPORTED))})")
    size = path.stat().st_size
    limit = options.max_container_bytes if suffix in MBOX_SUFFIXES | TABLE_SUFFIXES else options.max_note_bytes
    if size > limit:
        raise InputError(f"{what}: file is {size / 1e6:.1f} MB; the limit for a {suffix} file is {limit / 1e6:.1f} MB")
    if size == 0:
        raise InputError(f"{what}: empty file")
    if suffix in MBOX_SUFFIXES:
        yield from read_mbox(path, what, options.max_note_bytes)
        return
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # grew since it was measured
        raise InputError(f"{what}: file is over {limit / 1e6:.1f} MB, the limit for a {suffix} file")
    if suffix in EMAIL_SUFFIXES:
        yield read_eml(data, what, options.max_note_bytes)
        return
    text = decode(data, what, options.encoding)
    if suffix in TEXT_SUFFIXES:
        checked = require_text(text, what, options.max_note_bytes, size=len(data))
        yield NoteInput(text=checked, source=name, date=leading_date(name, text))
        return
    rows = iter_csv_rows(text, what) if suffix == ".csv" else iter_jsonl_rows(text, what)
    yield from _rows_to_notes(rows, name, what, options)


def upload_label(filename: str | None) -> str:
    """An uploaded file's name, safe as a label: its last path part, one line, never '', '.' or '..'."""
    name = re.split(r"[\\/]", label_text(filename or "", 1000))[-1].strip()
    if name in ("", ".", ".."):
        return "upload"
    if len(name) > 100:
        suffix = Path(name).suffix[:16]
        name = name[: 100 - len(suffix)] + suffix
    return name


def _rows_to_notes(
    rows: Iterator[Row | InputError], name: str, what: str, options: ReadOptions
) -> Iterator[NoteInput | InputError]:
    chosen: dict[str, str | None] | None = None
    for item in rows:
        if isinstance(item, InputError):
            yield item
            continue
        line, row = item
        if chosen is None:
            chosen = options.columns.resolve(list(row), what)
        try:
            yield row_note(row, chosen, name, f"{what}: line {line}", options)
        except InputError as exc:
            yield exc


def _cell(value: Any) -> str | None:
    """A cell as it is added to a note's text: a string or a number (a whole float as an integer, as a JSON
    reader gives it and as Spark gives it in a column with gaps); None for nothing or a nested value."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, float) and (value != value or value.is_integer()):  # NaN: nothing
        return None if value != value else str(int(value))
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def row_note(
    row: dict[str, Any], cols: dict[str, str | None], name: str, where: str, options: ReadOptions
) -> NoteInput:
    """One table row as a note: `cols` maps each role (text, date, author, source, customer) to its column."""

    def get(role: str) -> str | None:
        col = cols.get(role)
        value = row.get(col) if col else None
        return str(value).strip() if value not in (None, "") else None

    def short(role: str) -> str | None:
        value = get(role)
        return label_text(value) or None if value else None

    added = [(col, _cell(row.get(col))) for key, col in cols.items() if key.startswith(FIELD) and col]
    fields = " | ".join(f"{col}: {value}" for col, value in added if value is not None)
    text = require_text("\n".join(t for t in (get("text"), fields) if t), where, options.max_note_bytes)
    channel = short("source")
    return NoteInput(
        text=text,
        source=f"{name}: {channel}" if channel else name,
        author=short("author"),
        date=parse_date(get("date")),
        customer=short("customer"),
    )

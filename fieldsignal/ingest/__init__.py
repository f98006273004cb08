"""Readers: pasted text, .txt/.md, .eml/.mbox, .csv/.jsonl, and folders of them.

`read_paths` yields, for every note found, either a NoteInput or the InputError that
explains why that input could not be used; a bad file never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldsignal.errors import InputError
from fieldsignal.ingest.email import read_eml, read_mbox
from fieldsignal.ingest.tables import ColumnMap, iter_csv_rows, iter_jsonl_rows, leading_date, parse_date
from fieldsignal.ingest.text import decode, require_text
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
    max_note_bytes: int = 2_000_000
    max_container_bytes: int = 200_000_000


def note_from_text(
    text: str, source: str = "paste", options: ReadOptions = ReadOptions(), what: str | None = None, **fields: Any
) -> NoteInput:
    """A pasted or file text as a note; InputError when it cannot be one."""
    checked = require_text(text, what or source, options.max_note_bytes)
    return NoteInput(text=checked, source=source, **fields)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path | InputError]:
    """Files as given, folders walked (supported files only, sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                yield InputError(f"{path}: folder holds no supported files ({', '.join(sorted(SUPPORTED))})")
            yield from found
        elif path.is_file():
            yield path
        else:
            yield InputError(f"{path}: no such file or folder")


def read_paths(paths: Iterable[Path], options: ReadOptions = ReadOptions()) -> Iterator[NoteInput | InputError]:
    for item in expand_paths(paths):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield from read_file(item, options)
        except InputError as exc:
            yield exc
        except (OSError, ValueError) as exc:
            yield InputError(f"{item}: {exc}")


def read_file(path: Path, options: ReadOptions = ReadOptions()) -> Iterator[NoteInput | InputError]:
    suffix = path.suffix.lower()
    what = str(path)
    if suffix not in SUPPORTED:
        raise InputError(f"{what}: unsupported file type {suffix or '(none)'} (use {', '.join(sorted(SUPPORTED))})")
    size = path.stat().st_size
    limit = options.max_container_bytes if suffix in MBOX_SUFFIXES | TABLE_SUFFIXES else options.max_note_bytes
    if size > limit:
        raise InputError(f"{what}: file is {size / 1e6:.1f} MB; the limit for a {suffix} file is {limit / 1e6:.1f} MB")
    if size == 0:
        raise InputError(f"{what}: empty file")
    if suffix in MBOX_SUFFIXES:
        yield from read_mbox(path, what)
        return
    data = path.read_bytes()
    if suffix in EMAIL_SUFFIXES:
        yield _checked(read_eml(data, what), what, options)
        return
    text = decode(data, what, options.encoding)
    if suffix in TEXT_SUFFIXES:
        yield note_from_text(text, source=path.name, options=options, what=what, date=leading_date(path.name, text))
        return
    rows = iter_csv_rows(text, what) if suffix == ".csv" else iter_jsonl_rows(text, what)
    yield from _rows_to_notes(rows, path.name, options)


def _checked(note: NoteInput, what: str, options: ReadOptions) -> NoteInput:
    return note.model_copy(update={"text": require_text(note.text, what, options.max_note_bytes)})


def _rows_to_notes(rows: Iterator[dict[str, Any]], name: str, options: ReadOptions) -> Iterator[NoteInput | InputError]:
    chosen: dict[str, str | None] | None = None
    for number, row in enumerate(rows, start=1):
        where = f"{name} row {number}"
        if chosen is None:
            chosen = options.columns.resolve(list(row), name)
        try:
            yield _row_note(row, chosen, name, where, options)
        except InputError as exc:
            yield exc


def _row_note(
    row: dict[str, Any], cols: dict[str, str | None], name: str, where: str, options: ReadOptions
) -> NoteInput:
    def get(role: str) -> str | None:
        col = cols.get(role)
        value = row.get(col) if col else None
        return str(value).strip() if value not in (None, "") else None

    text = require_text(get("text") or "", where, options.max_note_bytes)
    channel = get("source")
    return NoteInput(
        text=text,
        source=f"{name}: {channel}" if channel else name,
        author=get("author"),
        date=parse_date(get("date")),
        customer=get("customer"),
    )

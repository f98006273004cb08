"""`import --labeled`: rows that already carry their labels (a signal log, an eval set) become signals as-is.

Headers are matched without case, spaces or punctuation, so the source documents' signal-log
columns work directly ("Date", "Source", "Category", "Gap", "Use Case Blocked", "Customer",
"Lost Deal?", "PM Ticket", "Status") beside the eval keys (`signal_type`, `gap`, `gaps`, ...).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from fieldsignal.errors import InputError
from fieldsignal.ingest.tables import iter_csv_rows, iter_jsonl_rows, parse_date
from fieldsignal.ingest.text import DEFAULT_MAX_NOTE, decode, require_text, shown, unreadable

ALIASES = {
    "type": "signal_type",
    "signal": "signal_type",
    "lost": "lost_deal",
    "lost_deal_": "lost_deal",
    "acv": "acv_usd",
    "revenue_impact": "acv_usd",
    "note": "text",
    "notes": "text",
    "body": "text",
    "ticket": "pm_ticket",
    "competitor_chosen": "competitor",
}


class LabelledRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    id: str | None = None
    signal_type: str | None = None
    category: str | None = None
    gap: str | None = None
    gaps: list[str] | None = None
    customer: str | None = None
    industry: str | None = None
    archetype: str | None = None
    competitor: str | None = None
    lost_deal: bool | None = None
    acv_usd: int | None = None
    date: dt.date | None = None
    author: str | None = None
    source: str | None = None
    status: str | None = None
    pm_ticket: str | None = None
    use_case_blocked: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return parse_date(value) if isinstance(value, str) else value

    @field_validator("lost_deal", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() in ("yes", "y", "true", "1", "x", "lost")
        return value

    @field_validator("acv_usd", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        if isinstance(value, str):
            digits = re.sub(r"[^\d.]", "", value)
            return int(float(digits)) if digits else None
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        return None if value is None else str(value)


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return ALIASES.get(key, ALIASES.get(key + "_", key))


def read_labelled(
    path: Path, max_chars: int = DEFAULT_MAX_NOTE, max_bytes: int = 200_000_000, encoding: str | None = None
) -> Iterator[LabelledRow | InputError]:
    """Each row as a LabelledRow, or an InputError naming its line; a bad row never stops the others."""
    what = shown(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        yield InputError(f"{what}: --labeled reads .csv or .jsonl rows")
        return
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputError(f"{what}: file is over {max_bytes / 1e6:.1f} MB, the limit for a {suffix} file")
        raw = decode(data, what, encoding)
        rows = iter_csv_rows(raw, what) if suffix == ".csv" else iter_jsonl_rows(raw, what)
        for item in rows:
            if isinstance(item, InputError):
                yield item
            else:
                yield _labelled(*item, what, max_chars)
    except InputError as exc:
        yield exc
    except OSError as exc:
        yield InputError(f"{what}: cannot read: {exc.strerror or exc}")
    except Exception as exc:  # input from outside: one line, never a traceback
        yield InputError(f"{what}: {unreadable(exc)}")


def _labelled(line: int, row: dict[str, Any], what: str, max_chars: int) -> LabelledRow | InputError:
    where = f"{what}: line {line}"
    data = {_key(k): (None if v == "" else v) for k, v in row.items() if k}
    try:
        item = LabelledRow.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        return InputError(f"{where}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    try:
        return item.model_copy(update={"text": require_text(item.text, where, max_chars)})
    except InputError as exc:
        return exc

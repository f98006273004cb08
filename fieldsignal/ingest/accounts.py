"""An account list from the CRM: a CSV/JSONL export with an account-name column (and, if it has one, the
account's industry), or one name per line."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from fieldsignal.errors import InputError
from fieldsignal.ingest.tables import iter_csv_rows, iter_jsonl_rows

NAME_COLUMNS = ("account", "account_name", "account name", "name", "customer", "company", "client", "organization")
INDUSTRY_COLUMNS = ("industry", "vertical", "sector", "industry_code", "industry code")
MAX_NAME = 200


class Account(NamedTuple):
    name: str
    industry: str | None = None  # as the export spells it: the taxonomy maps it to a code


def read_accounts(path: Path, column: str | None = None, industry_column: str | None = None) -> list[Account]:
    """The accounts in `path`, in order, without repeats; a one-line InputError when there are none."""
    what = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: cannot read it ({exc.__class__.__name__})") from exc
    suffix = path.suffix.lower()
    if suffix in (".csv", ".jsonl", ".ndjson"):
        rows = _from_rows(text, what, suffix, column, industry_column)
    else:
        if industry_column:
            raise InputError(f"{what}: --industry-column needs a CSV or JSONL export, not a list of names")
        rows = [Account(line) for line in text.splitlines()]
    clean = [Account(" ".join(a.name.split()), _blank(a.industry)) for a in rows if a.name and a.name.strip()]
    too_long = [a.name for a in clean if len(a.name) > MAX_NAME]
    if too_long:
        sample = too_long[0][:40]
        raise InputError(f"{what}: an account name is over {MAX_NAME} characters ({sample}…): is it a list of names?")
    if not clean:
        raise InputError(f"{what}: no account names in it")
    first: dict[str, Account] = {}
    for account in clean:
        first.setdefault(account.name, account)
    return list(first.values())


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None


def _from_rows(text: str, what: str, suffix: str, column: str | None, industry_column: str | None) -> list[Account]:
    rows = iter_csv_rows(text, what) if suffix == ".csv" else iter_jsonl_rows(text, what)
    out: list[Account] = []
    chosen: tuple[str, str | None] | None = None
    for row in rows:
        if isinstance(row, InputError):
            raise row
        _, values = row
        if chosen is None:
            chosen = _columns(values, what, column, industry_column)
        name_key, industry_key = chosen
        value = values.get(name_key)
        industry = values.get(industry_key) if industry_key else None
        if value is not None:
            out.append(Account(str(value), str(industry) if industry not in (None, "") else None))
    return out


def _columns(values: dict, what: str, column: str | None, industry_column: str | None) -> tuple[str, str | None]:
    lower = {str(k).strip().lower(): k for k in values}
    have = ", ".join(map(str, values))
    wanted = [column.lower()] if column else list(NAME_COLUMNS)
    found = next((lower[c] for c in wanted if c in lower), None)
    if found is None:
        looked = column or ", ".join(NAME_COLUMNS)
        raise InputError(f"{what}: no account-name column (looked for {looked}; columns: {have})")
    if industry_column and industry_column.lower() not in lower:
        raise InputError(f"{what}: no column {industry_column!r} (columns: {have})")
    wanted = [industry_column.lower()] if industry_column else list(INDUSTRY_COLUMNS)
    return found, next((lower[c] for c in wanted if c in lower), None)

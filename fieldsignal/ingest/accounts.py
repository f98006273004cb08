"""An account list from the CRM: a CSV/JSONL export with an account-name column, or one name per line."""

from __future__ import annotations

from pathlib import Path

from fieldsignal.errors import InputError
from fieldsignal.ingest.tables import iter_csv_rows, iter_jsonl_rows

NAME_COLUMNS = ("account", "account_name", "account name", "name", "customer", "company", "client", "organization")
MAX_NAME = 200


def read_accounts(path: Path, column: str | None = None) -> list[str]:
    """The account names in `path`, in order, without repeats; a one-line InputError when there are none."""
    what = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: cannot read it ({exc.__class__.__name__})") from exc
    suffix = path.suffix.lower()
    if suffix in (".csv", ".jsonl", ".ndjson"):
        names = _from_rows(text, what, suffix, column)
    else:
        names = [line.strip() for line in text.splitlines()]
    clean = [" ".join(n.split()) for n in names if n and n.strip()]
    too_long = [n for n in clean if len(n) > MAX_NAME]
    if too_long:
        sample = too_long[0][:40]
        raise InputError(f"{what}: an account name is over {MAX_NAME} characters ({sample}…): is it a list of names?")
    if not clean:
        raise InputError(f"{what}: no account names in it")
    return list(dict.fromkeys(clean))


def _from_rows(text: str, what: str, suffix: str, column: str | None) -> list[str]:
    rows = iter_csv_rows(text, what) if suffix == ".csv" else iter_jsonl_rows(text, what)
    names: list[str] = []
    chosen: str | None = None
    for row in rows:
        if isinstance(row, InputError):
            raise row
        _, values = row
        if chosen is None:
            lower = {str(k).strip().lower(): k for k in values}
            wanted = [column.lower()] if column else list(NAME_COLUMNS)
            found = next((lower[c] for c in wanted if c in lower), None)
            if found is None:
                looked, have = column or ", ".join(NAME_COLUMNS), ", ".join(map(str, values))
                raise InputError(f"{what}: no account-name column (looked for {looked}; columns: {have})")
            chosen = found
        value = values.get(chosen)
        if value is not None:
            names.append(str(value))
    return names

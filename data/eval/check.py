"""Check the evaluation files: every row as `fieldsignal eval` reads it, its labels in the taxonomy.

    python data/eval/check.py        # exit 1 and one line per problem if any

Rows are read with the evaluation's own reader (`load_rows`: the contract's fields, validated), so a
row that would fail an evaluation fails here first; gaps must be the taxonomy's slugs or `NEW: …`,
types its names, ids unique within a file; the duplicate pairs are read with the evaluation's own reader too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fieldsignal.errors import FieldsignalError
from fieldsignal.eval.dupes import load_pairs
from fieldsignal.eval.runner import load_rows
from fieldsignal.taxonomy import load_taxonomy

HERE = Path(__file__).resolve().parent
NOTES = ("dev.jsonl", "test.jsonl", "dev_log.jsonl", "test_log.jsonl")


def problems() -> list[str]:
    taxonomy = load_taxonomy()
    slugs = {g.slug for g in taxonomy.gaps}
    types = {t.name for t in taxonomy.signal_types}
    out: list[str] = []
    for name in NOTES:
        try:
            rows, _ = load_rows(HERE / name)
        except FieldsignalError as exc:
            out.append(f"{name}: {exc}")
            continue
        seen: set[str] = set()
        for row in rows:
            where = f"{name}:{row.id}"
            if row.id in seen:
                out.append(f"{where}: id used twice")
            seen.add(row.id or "")
            for gap in [row.gap, *(row.gaps or [])]:
                if gap and gap not in slugs and not gap.upper().startswith("NEW:"):
                    out.append(f"{where}: unknown gap {gap!r}")
            if row.signal_type and row.signal_type not in types:
                out.append(f"{where}: unknown type {row.signal_type!r}")
    try:
        load_pairs(HERE / "dev_dupes.jsonl")
    except FieldsignalError as exc:
        out.append(f"dev_dupes.jsonl: {exc}")
    return out


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    print(f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

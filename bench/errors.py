"""Print the DEV rows a field gets wrong, to study failure modes (never run on the test split).

python bench/errors.py [--data fieldsignal/eval/data/dev.jsonl] [--field gap ...]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("fieldsignal/eval/data/dev.jsonl"))
    ap.add_argument("--field", action="append", default=None)
    args = ap.parse_args()
    if "test" in args.data.name:
        raise SystemExit("study the dev set, never the test set")

    from fieldsignal.eval.runner import FIELDS, _gold, _pred, _triage, load_rows
    from fieldsignal.settings import load_settings
    from fieldsignal.taxonomy import load_taxonomy
    from fieldsignal.workspace import Workspace

    rows, present = load_rows(args.data)
    tax = load_taxonomy()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(load_settings(home=Path(tmp)), tax, learn=False)
        results = _triage(ws, rows)
    for field in args.field or FIELDS:
        print(f"== {field}")
        for row, res, keys in zip(rows, results, present, strict=True):
            if field not in keys:
                continue
            gold, pred = _gold(field, row, tax), _pred(field, res, row, tax)
            if gold != pred:
                extra = [f"{s.gap.label}:{s.gap.confidence}" for s in res.signals]
                print(f"{row.id}: gold={gold!r} pred={pred!r} {extra} | {row.text[:150]!r}")


if __name__ == "__main__":
    main()

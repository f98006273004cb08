"""Print the DEV rows a field gets wrong, to study failure modes (never run on the test split).

python bench/errors.py [--data fieldsignal/eval/data/dev.jsonl] [--field gap ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))
from devset import dev_parser, load_dev


def main() -> None:
    ap = dev_parser()
    ap.add_argument("--field", action="append", default=None)
    args = ap.parse_args()
    from fieldsignal.eval.runner import FIELDS, _gold, _pred, _triage

    with tempfile.TemporaryDirectory() as tmp:
        rows, present, tax, ws = load_dev(args.data, Path(tmp))
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

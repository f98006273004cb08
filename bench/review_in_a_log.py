"""What a workspace without an account list sends to review, note by note, as people paste.

    python bench/review_in_a_log.py [--data data/corpus/heldout.jsonl] [--per-writer N]

Each writer's notes (each writer invents their own customers: one workspace a writer) are pasted one at a
time, in date order, into a fresh workspace on the configured triage (the tuned encoder unless
FIELDSIGNAL_TUNE_ENCODER=false), with no account list imported: the log's own customers are all a note can
be linked to, and most notes name a customer the log has not seen yet. Prints the share of notes sent to
review and, of the notes accepted unseen, how many are right in type and gap, and in type, gap, competitor
and ACV (the fields read from the note whatever the account list; `fieldsignal eval` scores the customer
and the industry against each writer's account list), and the industry each note was stored with (read from
the note, or the one the log gives its customer) and how many customers' signals disagree on it. The
figures are read, never fitted to: run it on held-out writers to see a change, not to choose one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "corpus" / "heldout.jsonl")
    ap.add_argument("--per-writer", type=int, default=0, help="the first N notes of each writer (0: all)")
    args = ap.parse_args()

    from fieldsignal.models import NoteInput
    from fieldsignal.settings import load_settings
    from fieldsignal.workspace import Workspace

    writers: dict[str, list[dict]] = defaultdict(list)
    for line in args.data.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            writers[row["writer"]].append(row)
    accepted = right_type_gap = right_fields = reviewed = notes = industry_labelled = industry_right = 0
    split = repeated = 0  # customers named in 2+ signals; of them, those whose signals disagree on the industry
    started = time.perf_counter()
    for writer, rows in sorted(writers.items()):
        rows = sorted(rows, key=lambda r: r.get("date") or "")[: args.per_writer or None]
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace(load_settings(home=Path(tmp) / "ws"))
            industries: dict[str, list[str | None]] = defaultdict(list)
            for row in rows:
                date = dt.date.fromisoformat(row["date"]) if row.get("date") else None
                report = ws.add_notes([NoteInput(text=row["text"], date=date)])
                if not report.signals:
                    continue
                first = report.signals[0]
                notes += 1
                if first.customer:
                    industries[first.customer.casefold()].append(first.industry)
                if row.get("industry"):
                    industry_labelled += 1
                    industry_right += first.industry == row["industry"]
                if first.needs_review:
                    reviewed += 1
                    continue
                accepted += 1
                type_gap = first.signal_type == row["signal_type"] and first.gap == row.get("gap")
                right_type_gap += type_gap
                competitor = (first.competitor or None) == (row.get("competitor") or None)
                right_fields += type_gap and competitor and first.acv_usd == row.get("acv_usd")
            repeated += sum(len(found) > 1 for found in industries.values())
            split += sum(len(set(found)) > 1 for found in industries.values())
        print(f"{writer}: {len(rows)} notes pasted", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(f"{notes} notes by {len(writers)} writers pasted one at a time, no account list ({seconds:.0f} s)")
    print(f"sent to review: {reviewed / notes:.3f}")
    print(f"accepted unseen: {accepted}; right in type and gap {right_type_gap / max(accepted, 1):.3f}; "
          f"in type, gap, competitor and ACV {right_fields / max(accepted, 1):.3f}")  # fmt: skip
    print(f"industry right on {industry_right / max(industry_labelled, 1):.3f} of {industry_labelled} labelled notes; "
          f"{split} of {repeated} customers named in several signals have signals in different industries")  # fmt: skip


if __name__ == "__main__":
    main()

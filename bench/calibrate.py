"""Fit the softmax temperatures of the type and gap confidences on the DEV set (never on test).

    python bench/calibrate.py [--data fieldsignal/eval/data/dev.jsonl]

For each temperature: expected calibration error, share sent to review and accuracy of
what is auto-accepted. Embeddings are computed once; only the decision layer re-runs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))
from devset import dev_parser, load_dev


def main() -> None:
    args = dev_parser().parse_args()
    from fieldsignal.eval.runner import _calibration, _review_stats, _triage

    with tempfile.TemporaryDirectory() as tmp:
        rows, present, tax, ws = load_dev(args.data, Path(tmp))
        _triage(ws, rows)  # warm the embedding cache
        types, gaps = ws.triage.types.params, ws.triage.gaps.params
        print(f"{'part':6} {'T':>6} {'ECE':>7} {'review':>7} {'auto-acc':>9}")
        for part, base, values in (
            ("type", types, (0.5, 0.35, 0.25, 0.2, 0.15, 0.1)),
            ("gap", gaps, (0.08, 0.06, 0.04, 0.03, 0.02)),
        ):
            for temperature in values:
                if part == "type":
                    ws.triage.types.params = replace(base, temperature=temperature)
                else:
                    ws.triage.gaps.params = replace(base, temperature=temperature)
                results = _triage(ws, rows)
                cal = _calibration(rows, present, results, tax)["signal_type" if part == "type" else "gap"]
                review = _review_stats(rows, results, tax)
                print(
                    f"{part:6} {temperature:6.2f} {cal['ece']:7.3f} {review['share_to_review']:7.1%} "
                    f"{review['auto_accepted_accuracy']:9.3f}"
                )
            ws.triage.types.params, ws.triage.gaps.params = types, gaps
        print("review threshold with the current temperatures:")
        for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
            ws.triage.review_threshold = threshold
            review = _review_stats(rows, _triage(ws, rows), tax)
            share, accuracy = review["share_to_review"], review["auto_accepted_accuracy"]
            print(f"  {threshold:.2f} review {share:6.1%} auto-acc {accuracy:.3f}")


if __name__ == "__main__":
    main()

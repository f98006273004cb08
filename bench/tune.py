"""Grid-search the triage's decision parameters on the DEV set only (never on test).

    python bench/tune.py [--data fieldsignal/eval/data/dev.jsonl]

Embeddings are computed once; each parameter set re-runs only the cheap decision
layer. Prints the best settings by a combined score of type macro-F1, gap and
category accuracy, and gap-set F1.
"""

from __future__ import annotations

import itertools
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
    from fieldsignal.eval.metrics import classification_report, set_prf
    from fieldsignal.eval.runner import _gap_key, _gold, _pred, _triage

    with tempfile.TemporaryDirectory() as tmp:
        rows, _, tax, ws = load_dev(args.data, Path(tmp))
        _triage(ws, rows)  # warm the embedding cache
        base_gap, base_type = ws.triage.gaps.params, ws.triage.types.params

        def score(gp: object, tp: object) -> tuple[float, dict[str, float]]:
            ws.triage.gaps.params, ws.triage.types.params = gp, tp
            res = _triage(ws, rows)
            out = {}
            for field in ("signal_type", "gap", "category"):
                gold = [_gold(field, r, tax) for r in rows]
                pred = [_pred(field, x, r, tax) for r, x in zip(rows, res, strict=True)]
                rep = classification_report(gold, pred)
                out[field] = rep["macro_f1"] if field == "signal_type" else rep["accuracy"]
            gold_sets = [{k for g in r.gaps or [] if (k := _gap_key(g, tax))} for r in rows]
            pred_sets = [{s.gap.label for s in x.signals if s.gap.label} for x in res]
            out["gap_set_f1"] = set_prf(gold_sets, pred_sets)["f1"]
            return sum(out.values()), out

        best = score(base_gap, base_type)
        print("baseline", best[1])
        grid = {
            "known_threshold": [0.36, 0.39, 0.42, 0.45],
            "keyword_bonus": [0.06, 0.12, 0.18],
            "segment_weight": [0.4, 0.6, 0.8],
            "multi_threshold": [0.42, 0.48, 0.55],
            "multi_margin": [0.0, 0.04],
        }
        best_gap = base_gap
        for values in itertools.product(*grid.values()):
            gp = replace(base_gap, **dict(zip(grid, values, strict=True)))
            total, parts = score(gp, base_type)
            if total > best[0]:
                best, best_gap = (total, parts), gp
                print("gap", dict(zip(grid, values, strict=True)), parts)
        tgrid = {
            "embed_weight": [2.0, 4.0, 6.0],
            "cue_weight": [0.3, 0.5, 0.8],
            "gap_bonus": [0.3, 0.5, 0.8],
            "competitor_bonus": [0.3, 0.6, 0.9],
        }
        for values in itertools.product(*tgrid.values()):
            tp = replace(base_type, **dict(zip(tgrid, values, strict=True)))
            total, parts = score(best_gap, tp)
            if total > best[0]:
                best = (total, parts)
                print("type", dict(zip(tgrid, values, strict=True)), parts)
        print("best", best)


if __name__ == "__main__":
    main()

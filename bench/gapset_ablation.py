"""What the learned gap combiner adds: the shipped triage scored with it and without it, on the same notes.

    python bench/gapset_ablation.py [--data data/corpus/heldout.jsonl]

Without it ("precedence"), a note's gaps are the main-gap head's first choice and any gap the
further-gaps head gives at least 0.5 (the rule it replaced); with it ("learned"), `gapset.GapSet`
decides. Everything else, the model included, is the same. Prints gap accuracy, gap set F1, the
share sent to review and the gap confidence's calibration error for each.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

from fieldsignal.eval.runner import load_rows, score_workspace
from fieldsignal.settings import load_settings
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.gapset import GapSet
from fieldsignal.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus" / "heldout.jsonl")
    args = parser.parse_args()
    rows, present = load_rows(args.data)
    taxonomy = load_taxonomy()
    home = Path(tempfile.mkdtemp(prefix="fieldsignal-ablation-"))
    settings = load_settings().model_copy(update={"home": home, "vectorstore": "memory"})
    ws = Workspace(settings, taxonomy, learn=False)
    ws.triage.model = copy.copy(ws.triage.model)  # the gap sets are swapped below: the loaded model stays as it is
    learned = ws.triage.model.gapset
    for name, gapset in (("precedence", GapSet()), ("learned", learned)):  # an unfitted GapSet decides nothing
        ws.triage.model.gapset = gapset
        report = score_workspace(rows, present, ws, taxonomy)
        print(
            f"{name:>10}: gap {report['gap']['accuracy']:.3f}, gap set F1 {report['gap_set']['f1']:.3f}, "
            f"to review {report['review']['share_to_review']:.3f}, gap ECE {report['calibration']['gap']['ece']:.3f}"
        )


if __name__ == "__main__":
    main()

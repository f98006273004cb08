"""How a proposed gap is named, against the writers' own short labels ("NEW: no in-app scheduler").

    python bench/new_gap_labels.py          # the shipped triage; about a minute

For each note whose labelled gap is a new one and that the triage also proposes as new: the share of the content
words of the writer's label (lower case, cut to five letters, without "no", "not", "missing", "support" and the
like) found in the proposed name. Two names: the one shipped (the first ten words of the sentence the evidence
selector picks, whatever the note's length) and the one before (the first ten words of the excerpt, which for a
note of up to 400 characters is the whole note, so its header line). A rough measure: writers name a gap in their
own words, which a name cut from the note cannot match.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fieldsignal.ingest import note_from_text  # noqa: E402
from fieldsignal.learned_triage import assemble_triage  # noqa: E402
from fieldsignal.models import NEW_GAP  # noqa: E402
from fieldsignal.settings import load_settings  # noqa: E402
from fieldsignal.taxonomy import load_taxonomy  # noqa: E402
from fieldsignal.triage.pipeline import _label  # noqa: E402

STOP = {
    "no", "not", "a", "an", "the", "for", "of", "to", "in", "on", "with", "and", "or", "is", "are", "be", "support",
    "supported", "lack", "missing", "without",
}  # fmt: skip


def words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def main() -> None:
    triage = assemble_triage(load_settings(), load_taxonomy(), [])
    for name in ("corpus", "heldout", "heldout2"):
        rows = [json.loads(line) for line in (ROOT / "data" / "corpus" / f"{name}.jsonl").read_text().splitlines()]
        new = [r for r in rows if (r["gap"] or "").startswith("NEW") and words(r["gap"][4:])]
        results = triage.triage([note_from_text(r["text"]) for r in new])
        shipped, before = [], []
        for row, result in zip(new, results, strict=True):
            draft = next((d for d in result.signals if d.gap.label == NEW_GAP), None)
            if draft is None or draft.new_gap_label is None:
                continue
            gold = words(row["gap"][4:])
            shipped.append(len(gold & words(draft.new_gap_label)) / len(gold))
            before.append(len(gold & words(_label(draft.excerpt, draft.deal.customer))) / len(gold))
        print(
            f"{name}: {len(shipped)} of {len(new)} new-gap notes proposed as new; writer's label words in the name: "
            f"shipped {np.mean(shipped):.3f}, from the excerpt (before) {np.mean(before):.3f}"
        )


if __name__ == "__main__":
    main()

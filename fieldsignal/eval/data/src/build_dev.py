"""Build dev.jsonl from the hand-written dev notes in dev_notes_*.py (one tuple per note).

Tuple: (text, type, gap, customer, industry, competitor, acv_usd[, extra dict])
type: O Opportunity, W Win, L Loss, G Product Gap, C Competitive. gap: slug, "NEW: label" or None.
Category follows from the gap; lost_deal is true exactly for Loss. Written by the fieldsignal
developers, never shown to the tuning of the test split.
"""

import importlib.util
import json
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).parent
TYPES = {"O": "Opportunity", "W": "Win", "L": "Loss", "G": "Product Gap", "C": "Competitive"}
TAX = tomllib.loads((HERE.parents[2] / "taxonomy" / "default.toml").read_text())
CATEGORY = {g["slug"]: g["category"] for g in TAX["gaps"]}


def rows(prefix: str, notes: list[tuple]) -> list[dict]:
    out = []
    for number, note in enumerate(notes, start=1):
        text, kind, gap, customer, industry, competitor, acv, *rest = note
        extra = rest[0] if rest else {}
        if gap and not gap.startswith("NEW:") and gap not in CATEGORY:
            sys.exit(f"unknown gap {gap!r} in {text[:40]!r}")
        row = {
            "id": f"{prefix}{number:03d}",
            "split": "dev",
            "text": text.strip(),
            "signal_type": TYPES[kind],
            "gap": gap,
            "category": CATEGORY.get(gap or ""),
            "customer": customer,
            "industry": industry,
            "competitor": competitor,
            "lost_deal": kind == "L",
            "acv_usd": acv,
        }
        row.update(extra)
        out.append(row)
    return out


def main() -> None:
    notes: list[tuple] = []
    for path in sorted(HERE.glob("dev_notes_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        notes.extend(module.NOTES)
    out = rows("d", notes)
    with (HERE.parent / "dev.jsonl").open("w") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(out)} dev rows")


if __name__ == "__main__":
    main()

"""Check every writer's file against the conventions in README.md and assemble `corpus.jsonl` (and,
from the writers under `heldout/` and `heldout2/`, whom nothing is trained on, `heldout.jsonl` and
`heldout2.jsonl`).

    python data/corpus/build.py          # check, then write corpus.jsonl and dupes.jsonl
    python data/corpus/build.py --check  # check only (exit 1 on any problem)

`corpus.jsonl` holds every row of every `w*.jsonl` in the evaluation contract's shape (DESIGN.md),
with `category` filled from the gap and `writer` kept, so `fieldsignal eval --group-by writer` can
train without a writer and score that writer. `dupes.jsonl` pairs each second report with its first
report (`is_duplicate: true`) and with hard non-duplicates by the same writer: the same customer with
another gap, and the same gap at another customer (`is_duplicate: false`).
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAXONOMY = HERE.parents[1] / "fieldsignal" / "taxonomy" / "default.toml"
TYPES = {"Opportunity", "Win", "Loss", "Product Gap", "Competitive"}
INDUSTRIES = {"Retail", "FSI", "HLS", "MFG", "DN", "Other"}
ARCHETYPES = {"Cockpit", "Vertical", "Horizontal"}
STYLES = {"slack", "call-summary", "email", "transcript", "crm", "bullets", "non-native", "meeting-notes", "other"}
KEYS = [
    "id", "writer", "style", "date", "text", "signal_type", "gap", "gaps", "customer", "customer_mention",
    "industry", "archetype", "competitor", "competitor_mention", "lost_deal", "acv_usd", "duplicate_of",
]  # fmt: skip


TEXT_KEYS = [
    "id", "writer", "style", "date", "text", "signal_type", "gap", "customer", "customer_mention", "industry",
    "archetype", "competitor", "competitor_mention", "duplicate_of",
]  # fmt: skip


def categories() -> dict[str, str]:
    data = tomllib.loads(TAXONOMY.read_text(encoding="utf-8"))
    return {g["slug"]: g["category"] for g in data["gaps"]}


def problems(row: dict, seen: set[str], slugs: dict[str, str]) -> list[str]:
    out = [f"missing {k}" for k in KEYS if k not in row]
    out += [f"{k} is not text" for k in TEXT_KEYS if k in row and row[k] is not None and not isinstance(row[k], str)]
    if not isinstance(row.get("gaps", []), list) or not all(isinstance(g, str) for g in row.get("gaps") or []):
        out.append("gaps is not a list of text")
    if out:
        return out
    gaps = row["gaps"] or []
    checks = {
        "id repeats": row["id"] in seen,
        "signal_type": row["signal_type"] not in TYPES,
        "industry": row["industry"] not in INDUSTRIES | {None},
        "archetype": row["archetype"] not in ARCHETYPES | {None},
        "style": row["style"] not in STYLES,
        "gap not first of gaps": (row["gap"] or None) != (gaps[0] if gaps else None),
        "unknown gap": any(not (g in slugs or g.startswith("NEW:")) for g in gaps),
        "lost_deal": bool(row["lost_deal"]) != (row["signal_type"] == "Loss"),
        "acv_usd": row["acv_usd"] is not None and not isinstance(row["acv_usd"], int),
        "customer_mention not in text": bool(row["customer_mention"]) and row["customer_mention"] not in row["text"],
        "competitor_mention not in text": bool(row["competitor_mention"])
        and row["competitor_mention"] not in row["text"],
        "duplicate_of points forward": bool(row["duplicate_of"]) and row["duplicate_of"] not in seen,
    }
    return [name for name, bad in checks.items() if bad]


def load(path: Path, slugs: dict[str, str]) -> tuple[list[dict], list[str]]:
    rows, errors, seen = [], [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{number}: not JSON ({exc})")
            continue
        errors += [f"{path.name}:{number}: {p}" for p in problems(row, seen, slugs)]
        seen.add(row.get("id", ""))
        rows.append(row)
    return rows, errors


def contract_row(row: dict, slugs: dict[str, str]) -> dict:
    out = {k: row[k] for k in KEYS}
    out["category"] = slugs.get(row["gap"] or "")
    return out


def dupe_pairs(rows: list[dict], seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    pairs = [{"id_a": r["duplicate_of"], "id_b": r["id"], "is_duplicate": True} for r in rows if r["duplicate_of"]]
    positives = [(p["id_a"], p["id_b"]) for p in pairs]  # in file order: the same pairs on every run
    by_writer: dict[str, list[dict]] = {}
    for r in rows:
        by_writer.setdefault(r["writer"], []).append(r)
    for first, second in positives:
        a = next(r for r in rows if r["id"] == first)
        mates = [r for r in by_writer[a["writer"]] if r["id"] not in (first, second) and r["gap"]]
        same_customer = [r for r in mates if r["customer"] and r["customer"] == a["customer"] and r["gap"] != a["gap"]]
        same_gap = [r for r in mates if r["gap"] == a["gap"] and r["customer"] != a["customer"]]
        for pool in (same_customer, same_gap):
            if pool:
                pairs.append({"id_a": first, "id_b": rng.choice(pool)["id"], "is_duplicate": False})
    return pairs


def main(argv: list[str]) -> int:
    slugs = categories()
    status = 0
    for folder, rows_file, pairs_file in (
        (HERE, "corpus.jsonl", "dupes.jsonl"),  # the training corpus
        (HERE / "heldout", "heldout.jsonl", "heldout_dupes.jsonl"),  # writers nothing is trained on
        (HERE / "heldout2", "heldout2.jsonl", "heldout2_dupes.jsonl"),  # more, written after the review gate
    ):
        if folder.is_dir():
            status |= build(folder, HERE / rows_file, HERE / pairs_file, slugs, "--check" in argv)
    return status


def build(folder: Path, rows_file: Path, pairs_file: Path, slugs: dict[str, str], check_only: bool) -> int:
    rows, errors = [], []
    for path in sorted(folder.glob("w*.jsonl")):
        got, bad = load(path, slugs)
        rows += got
        errors += bad
    for error in errors:
        print(error)
    writers = Counter(r["writer"] for r in rows)
    print(f"{folder.name}: {len(rows)} rows from {len(writers)} writers ({dict(writers)}); {len(errors)} problem(s)")
    if errors:
        return 1
    if check_only:
        return 0
    with rows_file.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(contract_row(row, slugs), ensure_ascii=False) + "\n")
    pairs = dupe_pairs(rows)
    with pairs_file.open("w", encoding="utf-8") as out:
        for pair in pairs:
            out.write(json.dumps(pair) + "\n")
    print(f"wrote {rows_file.name} ({len(rows)} rows) and {pairs_file.name} ({len(pairs)} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Public duplicate bug reports (GitBugs, Apache Hadoop) as `fieldsignal eval --dupes` pairs.

    python data/public/gitbugs/build.py           # reports.jsonl + duplicates.csv -> pairs.jsonl
    python data/public/gitbugs/build.py --check   # pairs.jsonl is what the inputs give (exit 1 if not)

Every duplicate relation of the dataset's train and test lists (`duplicates.csv`, both directions
and "a, b" lists flattened) is one positive pair, the earlier report (lower id) first. For each, one
hard non-duplicate: the report most similar to the earlier one by TF-IDF (scikit-learn, over summary
and description), other than itself, any report it is listed as a duplicate of or with, and one
already paired with it as a negative; reports closed as "Duplicate" are not taken as negatives (what
they duplicate is not listed). A report's text is its summary, a line break, and the first 500
characters of its description.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def reports() -> dict[str, dict[str, str]]:
    rows = [json.loads(line) for line in (HERE / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows}


def relations() -> set[tuple[str, str]]:
    with (HERE / "duplicates.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        tuple(sorted((row["Issue id"].strip(), other.strip())))  # type: ignore[misc]
        for row in rows
        for other in row["Duplicate id"].split(",")
    }


def text(report: dict[str, str]) -> str:
    return f"{report['summary']}\n{report['description'][:500]}".strip()


def pairs() -> list[dict[str, object]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    by_id, related = reports(), relations()
    missing = sorted({i for pair in related for i in pair} - set(by_id))
    if missing:
        raise SystemExit(f"reports.jsonl lacks {len(missing)} listed reports: {', '.join(missing)}")
    ids = sorted(by_id)
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform([text(by_id[i]) for i in ids])
    row = {i: n for n, i in enumerate(ids)}
    partners: dict[str, set[str]] = {}
    for a, b in related:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    out: list[dict[str, object]] = []
    taken: set[tuple[str, str]] = set()  # negatives already paired (a report in two relations gets two)
    for a, b in sorted(related):
        out.append({"id_a": a, "id_b": b, "text_a": text(by_id[a]), "text_b": text(by_id[b]), "is_duplicate": True})
        similarity = linear_kernel(matrix[row[a]], matrix).ravel()
        ranked = sorted(range(len(ids)), key=lambda n: (-similarity[n], ids[n]))
        c = next(
            ids[n]
            for n in ranked
            if ids[n] != a
            and ids[n] not in partners[a]
            and by_id[ids[n]]["resolution"] != "Duplicate"
            and tuple(sorted((a, ids[n]))) not in taken
        )
        first, second = sorted((a, c))
        taken.add((first, second))
        negative = {"id_a": first, "id_b": second, "text_a": text(by_id[first]), "text_b": text(by_id[second])}
        out.append(negative | {"is_duplicate": False})
    return out


def main() -> None:
    built = pairs()
    lines = [json.dumps(p, ensure_ascii=False) for p in built]
    target = HERE / "pairs.jsonl"
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8").splitlines() != lines:
            raise SystemExit("pairs.jsonl is not what reports.jsonl and duplicates.csv give: run build.py")
        print(f"pairs.jsonl: {len(lines)} pairs, as built")
        return
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {target.name}: {len(lines)} pairs ({sum(bool(p['is_duplicate']) for p in built)} duplicates)")


if __name__ == "__main__":
    main()

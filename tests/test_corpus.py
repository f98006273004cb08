"""The training corpus follows its conventions, and the assembled files are what build.py makes of it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"


def test_every_writer_file_follows_the_conventions() -> None:
    done = subprocess.run([sys.executable, str(CORPUS / "build.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "0 problem(s)" in done.stdout


def test_the_evaluation_files_read_as_eval_reads_them_and_a_bad_label_is_named(tmp_path: Path) -> None:
    check = ROOT / "data" / "eval" / "check.py"
    done = subprocess.run([sys.executable, str(check)], capture_output=True, text=True)
    assert done.returncode == 0 and "0 problem(s)" in done.stdout, done.stdout[-2000:]
    # the same checks on a copy with one wrong gap: named, and the exit code says so
    for name in ("dev.jsonl", "test.jsonl", "dev_log.jsonl", "test_log.jsonl", "dev_dupes.jsonl"):
        (tmp_path / name).write_text((check.parent / name).read_text(encoding="utf-8"), encoding="utf-8")
    rows = (tmp_path / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(rows[0]) | {"gap": "no-such-gap"}
    (tmp_path / "dev.jsonl").write_text("\n".join([json.dumps(first), *rows[1:]]) + "\n", encoding="utf-8")
    (tmp_path / "check.py").write_text(check.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "check.py")], capture_output=True, text=True)
    assert done.returncode == 1 and f"dev.jsonl:{first['id']}: unknown gap 'no-such-gap'" in done.stdout


WHOLE = {"notes": 150, "type": 20, "gap": 7, "two_gaps": 20, "second_reports": 10, "customers": 100}
SECOND_REPORTS = {"notes": 130, "type": 18, "gap": 6, "two_gaps": 18, "second_reports": 30, "customers": 70}
SECOND_REPORT_WRITERS = {"w49", "w50", "w51", "w52"}


def test_the_corpus_is_large_and_many_voiced() -> None:
    rows = [json.loads(line) for line in (CORPUS / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    writers = Counter(r["writer"] for r in rows)
    assert len(rows) >= 1500 and len(writers) >= 6
    # every voice covers the whole label space, so a fold without a writer still learns every label and scoring
    # that writer tests every label: at least 150 notes each (w1-w32 wrote 200 or 260, w33-w40 150), every type
    # 20 times, every known gap 7 times as the main gap, new gaps, two-gap notes, second reports, many customers.
    # w49-w52 were briefed for second reports (BRIEF.md): 130 notes each, a quarter of them second reports
    for writer in writers:
        mine = [r for r in rows if r["writer"] == writer]
        floor = SECOND_REPORTS if writer in SECOND_REPORT_WRITERS else WHOLE
        kinds = Counter(r["signal_type"] for r in mine)
        main = Counter(r["gap"] for r in mine if r["gap"] and not r["gap"].startswith("NEW:"))
        assert len(mine) >= floor["notes"] and len(kinds) == 5 and min(kinds.values()) >= floor["type"], writer
        assert len(main) == 12 and min(main.values()) >= floor["gap"], writer
        assert sum(bool(r["gap"] and r["gap"].startswith("NEW:")) for r in mine) >= 10, writer
        assert sum(len(r["gaps"]) >= 2 for r in mine) >= floor["two_gaps"], writer
        assert sum(bool(r["duplicate_of"]) for r in mine) >= floor["second_reports"], writer
        assert len({r["customer"] for r in mine if r["customer"]}) >= floor["customers"], writer
    types = Counter(r["signal_type"] for r in rows)
    assert set(types) == {"Opportunity", "Win", "Loss", "Product Gap", "Competitive"}
    gaps = Counter(g for r in rows for g in r["gaps"] if not g.startswith("NEW:"))
    assert len(gaps) == 12 and min(gaps.values()) >= 50
    assert sum(any(g.startswith("NEW:") for g in r["gaps"]) for r in rows) >= 150
    assert sum(len(r["gaps"]) >= 2 for r in rows) >= 150


def test_the_assembled_files_are_up_to_date(tmp_path: Path) -> None:
    for name in ("corpus.jsonl", "dupes.jsonl"):
        assert (CORPUS / name).exists(), f"run python data/corpus/build.py ({name} is missing)"
    import importlib.util

    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    slugs = build.categories()
    rows = [row for path in sorted(CORPUS.glob("w*.jsonl")) for row in build.load(path, slugs)[0]]
    expected = [json.dumps(build.contract_row(r, slugs), ensure_ascii=False) for r in rows]
    assert (CORPUS / "corpus.jsonl").read_text(encoding="utf-8").splitlines() == expected
    pairs = [json.dumps(p) for p in build.dupe_pairs(rows)]  # the same pairs on every run
    assert (CORPUS / "dupes.jsonl").read_text(encoding="utf-8").splitlines() == pairs
    for folder, at_least in (("heldout", 1400), ("heldout2", 600)):
        held = [row for path in sorted((CORPUS / folder).glob("w*.jsonl")) for row in build.load(path, slugs)[0]]
        expected = [json.dumps(build.contract_row(r, slugs), ensure_ascii=False) for r in held]
        assert (CORPUS / f"{folder}.jsonl").read_text(encoding="utf-8").splitlines() == expected
        pairs = [json.dumps(p) for p in build.dupe_pairs(held)]
        assert (CORPUS / f"{folder}_dupes.jsonl").read_text(encoding="utf-8").splitlines() == pairs
        # writers nothing is trained on: none of them, and none of their notes, is in the corpus
        assert not {r["writer"] for r in held} & {r["writer"] for r in rows}
        assert len(held) >= at_least and not {r["text"] for r in held} & {r["text"] for r in rows}


def test_the_public_duplicate_pairs_are_what_their_build_gives_and_eval_reads_them() -> None:
    """GitBugs Hadoop (data/public/gitbugs): 66 listed duplicates, each with one hard non-duplicate."""
    import importlib.util

    from fieldsignal.eval.dupes import load_pairs

    folder = ROOT / "data" / "public" / "gitbugs"
    spec = importlib.util.spec_from_file_location("gitbugs_build", folder / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    built = [json.dumps(p, ensure_ascii=False) for p in build.pairs()]
    assert (folder / "pairs.jsonl").read_text(encoding="utf-8").splitlines() == built
    pairs = load_pairs(folder / "pairs.jsonl")
    assert Counter(p.is_duplicate for p in pairs) == {True: 66, False: 66}
    related = build.relations()
    assert all((p.id_a, p.id_b) in related for p in pairs if p.is_duplicate)
    assert not any((p.id_a, p.id_b) in related for p in pairs if not p.is_duplicate)

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


def test_the_corpus_is_large_and_many_voiced() -> None:
    rows = [json.loads(line) for line in (CORPUS / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    writers = Counter(r["writer"] for r in rows)
    assert len(rows) >= 1500 and len(writers) >= 6
    assert min(writers.values()) >= 200
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
    held = [row for path in sorted((CORPUS / "heldout").glob("w*.jsonl")) for row in build.load(path, slugs)[0]]
    expected = [json.dumps(build.contract_row(r, slugs), ensure_ascii=False) for r in held]
    assert (CORPUS / "heldout.jsonl").read_text(encoding="utf-8").splitlines() == expected
    # writers nothing is trained on: none of them, and none of their notes, is in the corpus
    assert not {r["writer"] for r in held} & {r["writer"] for r in rows}
    assert len(held) >= 600 and not {r["text"] for r in held} & {r["text"] for r in rows}

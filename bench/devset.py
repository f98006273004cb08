"""Shared set-up of the dev-only scripts (tune.py, errors.py): the dev rows and a fresh workspace."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DEV = Path("fieldsignal/eval/data/dev.jsonl")


def dev_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEV)
    return ap


def load_dev(path: Path, home: Path) -> tuple[list[Any], list[set[str]], Any, Any]:
    """(rows, labelled fields per row, taxonomy, workspace); refuses any test split."""
    if "test" in path.name:
        raise SystemExit("dev scripts read the dev set, never the test set")
    from fieldsignal.eval.runner import load_rows
    from fieldsignal.settings import load_settings
    from fieldsignal.taxonomy import load_taxonomy
    from fieldsignal.workspace import Workspace

    rows, present = load_rows(path)
    tax = load_taxonomy()
    return rows, present, tax, Workspace(load_settings(home=home), tax, learn=False)

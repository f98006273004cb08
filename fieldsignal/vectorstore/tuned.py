"""The workspace's fine-tuned classifier model: saved by `fieldsignal train`, loaded by triage.

It lives in `$FIELDSIGNAL_HOME/models/classifier/` with a `manifest.json` saying what it
was trained on. It serves only the gap classifier; stored vectors, duplicate detection
and search keep the base model, so retraining never invalidates the vector index.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from fieldsignal.vectorstore.embedder import LocalModelEmbedder

MANIFEST = "manifest.json"


def read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") else None


def tuned_embedder(path: Path) -> LocalModelEmbedder | None:
    """The tuned model at `path`, or None when there is none (or it is incomplete)."""
    manifest = read_manifest(path)
    if manifest is None:
        return None
    return LocalModelEmbedder(str(path), f"tuned:{manifest['version']}")


def save_tuned(model: Any, path: Path, manifest: dict[str, Any]) -> None:
    """Write the model beside the old one, then swap: a crash never leaves a half-written model."""
    staging = path.with_name(path.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    model.save(str(staging))
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    old = path.with_name(path.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        path.rename(old)
    staging.rename(path)
    if old.exists():
        shutil.rmtree(old)

"""The user's cache folder: built models (tuned encoders, their ONNX exports, triage heads).

`$FIELDSIGNAL_CACHE_DIR`, else `$XDG_CACHE_HOME/fieldsignal`, else `~/.cache/fieldsignal`. A build is
written beside its final place and renamed into it (no reader sees half a file), under a lock so two
processes never build the same thing at once, and old builds are pruned, least recently used first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("FIELDSIGNAL_CACHE_DIR"):
        return Path(os.environ["FIELDSIGNAL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fieldsignal"


def prune(root: Path, marker: str, keep: int) -> None:
    """Delete all but the `keep` most recently used builds under `root` (folders holding `marker`):
    a taxonomy, corpus or code change leaves old ones."""
    built = sorted((p for p in root.glob(f"*/{marker}")), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in built[keep:]:
        shutil.rmtree(old.parent, ignore_errors=True)


@contextmanager
def building(folder: Path, lock: str = "build.lock") -> Iterator[None]:
    """Held while one process builds what `folder` will hold; another waits, then finds it built."""
    try:
        import fcntl
    except ImportError:  # not POSIX: two processes may both build; the atomic rename keeps the file whole
        yield
        return
    with (folder / lock).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

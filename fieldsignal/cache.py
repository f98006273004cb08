"""The user's cache folder: built models (tuned encoders, their ONNX exports, triage heads).

`$FIELDSIGNAL_CACHE_DIR`, else `$XDG_CACHE_HOME/fieldsignal`, else `~/.cache/fieldsignal`. A build is
written beside its final place and renamed into it (no reader sees half a file), under a lock so two
processes never build the same thing at once, and old builds are pruned, least recently used first.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("FIELDSIGNAL_CACHE_DIR"):
        return Path(os.environ["FIELDSIGNAL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fieldsignal"


def code_digest(sources: Iterable[Path]) -> str:
    """What these modules do, for a cached build's key: each one's syntax tree without its docstrings (comments
    never reach the tree), so a documentation edit rebuilds nothing and any change to the code rebuilds.
    Parsing the triage's modules takes about 0.15 s, so the digest is kept under the cache folder by the
    modules' bytes: a command pays it once after the code changed, not at every start."""
    files = list(sources)
    raw = hashlib.sha256()
    for source in files:
        raw.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    kept = cache_dir() / "code" / raw.hexdigest()[:32]
    with suppress(OSError):
        return kept.read_text(encoding="utf-8").strip()
    digest = hashlib.sha256()
    with _PARSING:
        for source in files:
            digest.update(_module_tree(source.name, source.read_text(encoding="utf-8")))
    with suppress(OSError):  # best effort: written beside its place and renamed into it
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}")
        partial.write_text(digest.hexdigest() + "\n", encoding="utf-8")
        partial.replace(kept)
    return digest.hexdigest()


_PARSING = threading.Lock()  # CPython 3.11's ast.parse on two threads at once can fail: "AST constructor
# recursion depth mismatch" (seen when a served paste and a review's relearning assembled the triage together)


def _module_tree(name: str, text: str) -> bytes:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return f"{name}\0{ast.dump(tree)}\n".encode()


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

"""Who is between a DuckDB commit and the matching index update, across processes.

A writer holds a shared lock on a file in the workspace from before its DuckDB commit until
its signals are in the index; a process killed in between releases it with its death. The
index check takes the lock exclusively without waiting: when it gets it, any signal missing
from the index is really missing (an interrupted writer), not one a live writer is about to
add, so a warning is due; when it does not, it repairs quietly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the check then always speaks up
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".index-writers.lock"


def _open(home: Path) -> IO[bytes] | None:
    if fcntl is None:
        return None
    if not home.is_dir():
        home.mkdir(parents=True, exist_ok=True)
    return (home / LOCK_NAME).open("ab")


@contextlib.contextmanager
def writing(home: Path) -> Iterator[None]:
    """Held by a writer from before its commit until the index has its signals (waits out a running check)."""
    handle = _open(home)
    if handle is None:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield
    finally:
        handle.close()  # closing releases the lock


@contextlib.contextmanager
def checking(home: Path) -> Iterator[bool]:
    """Held by the index check; yields True when no writer is mid-way (then a gap in the index is real)."""
    handle = _open(home)
    if handle is None:
        yield True
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
        else:
            yield True
    finally:
        handle.close()

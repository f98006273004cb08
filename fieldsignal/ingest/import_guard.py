"""Keeping a library's optional imports out: spaCy and Presidio import torch and transformers whenever
they are installed (thinc checks for torch; Presidio's Hugging Face pipeline imports transformers), for
features the PII recogniser never uses. Hiding the two while they are imported keeps its first use at
about 1.5 s and 170 MiB instead of 5 s and 485 MiB (torch is installed here for training only).

Only the importing thread is refused: another thread that imports torch at the same moment (a model
build in the web server) gets it as usual, and so does any later import in this process.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType


class _RefuseInThread(importlib.abc.MetaPathFinder):
    def __init__(self, names: frozenset[str], thread: int) -> None:
        self.names = names
        self.thread = thread

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if threading.get_ident() == self.thread and fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{fullname} is left out of this import", name=fullname)
        return None  # everything else: the other finders decide


@contextmanager
def hidden_from_this_thread(*names: str) -> Iterator[None]:
    """Inside the block, this thread cannot import `names` (or their submodules) unless already imported."""
    finder = _RefuseInThread(frozenset(names), threading.get_ident())
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)

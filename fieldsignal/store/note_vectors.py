"""The whole-note vectors the log keeps (`notes.vector`), read for the vector index's "notes" collection:
second reports are found among the notes nearest in meaning, not only among the nearest quotes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fieldsignal.store.db import placeholders

if TYPE_CHECKING:
    import numpy as np


def count(con: Any) -> int:
    """How many notes have a stored vector."""
    return int(con.execute("SELECT count(*) FROM notes WHERE vector IS NOT NULL").fetchone()[0])


def ids(con: Any) -> set[int]:
    """The notes that have a stored vector."""
    return {int(r[0]) for r in con.execute("SELECT id FROM notes WHERE vector IS NOT NULL").fetchall()}


def vectors(con: Any, note_ids: Sequence[int] | None = None) -> tuple[list[int], np.ndarray]:
    """(note ids, their vectors as rows) of these notes (or every note) that have a stored vector."""
    import numpy as np

    if note_ids is not None and not note_ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    where = "" if note_ids is None else f" AND id IN ({placeholders(note_ids)})"
    rows = con.execute(
        f"SELECT id, vector FROM notes WHERE vector IS NOT NULL{where} ORDER BY id", list(note_ids or [])
    ).fetchall()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [int(r[0]) for r in rows], np.asarray([r[1] for r in rows], dtype=np.float32)

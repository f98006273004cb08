"""Rejecting a signal ("not a signal") and restoring it (migration 011): kept, audited, counted nowhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.store.signals import Rejection, get_signal, rejections

__all__ = ["Rejection", "reject", "rejections", "restore"]


def reject(con: Any, signal_id: int, why: str, who: str, now: dt.datetime) -> None:
    """Mark a signal as not a signal (the caller holds the transaction); its review entry is resolved."""
    if not why.strip():
        raise FieldsignalError("say why it is not a signal (--why)")
    signal = get_signal(con, signal_id)
    if signal.rejected_at is not None:
        raise FieldsignalError(f"signal {signal_id} is already rejected ({signal.rejected_why})")
    con.execute("UPDATE signals SET rejected_at = ?, rejected_why = ? WHERE id = ?", [now, why.strip(), signal_id])
    con.execute(
        "UPDATE review_queue SET resolved_at = ?, resolved_by = ?, resolution = 'rejected' "
        "WHERE signal_id = ? AND resolved_at IS NULL",
        [now, who, signal_id],
    )
    _audit(con, signal_id, "reject", why.strip(), who, now)


def restore(con: Any, signal_id: int, who: str, now: dt.datetime, why: str | None = None) -> None:
    """Count a rejected signal again (the caller holds the transaction)."""
    if get_signal(con, signal_id).rejected_at is None:
        raise FieldsignalError(f"signal {signal_id} is not rejected")
    con.execute("UPDATE signals SET rejected_at = NULL, rejected_why = NULL WHERE id = ?", [signal_id])
    _audit(con, signal_id, "restore", why, who, now)


def _audit(con: Any, signal_id: int, action: str, why: str | None, who: str, now: dt.datetime) -> None:
    con.execute(
        "INSERT INTO rejections (signal_id, action, why, who, done_at) VALUES (?, ?, ?, ?, ?)",
        [signal_id, action, why, who, now],
    )

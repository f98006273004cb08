"""Taking a signal out of the log and putting it back (mixed into Workspace): reject and restore."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from fieldsignal.models import Signal

if TYPE_CHECKING:
    from fieldsignal.workspace import Workspace


class Curation:
    def reject(self, signal_id: int, why: str, who: str) -> Signal:
        """ "Not a signal" (a greeting, a test row, a misread): kept and restorable, counted nowhere."""
        from fieldsignal.store import transaction
        from fieldsignal.store.rejections import reject
        from fieldsignal.store.signals import get_signal

        ws = cast("Workspace", self)
        now = dt.datetime.now().replace(microsecond=0)
        with ws.store(write=True) as con, transaction(con):
            reject(con, signal_id, why, who, now)
            return get_signal(con, signal_id)

    def restore(self, signal_id: int, who: str, why: str | None = None) -> Signal:
        """Count a rejected signal again."""
        from fieldsignal.store import transaction
        from fieldsignal.store.rejections import restore
        from fieldsignal.store.signals import get_signal

        ws = cast("Workspace", self)
        now = dt.datetime.now().replace(microsecond=0)
        with ws.store(write=True) as con, transaction(con):
            restore(con, signal_id, who, now, why)
            return get_signal(con, signal_id)

"""Taking a signal out of the log and putting it back (mixed into Workspace): reject and restore; and
reading a log filter as a person types it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import Signal
from fieldsignal.store.signals import SignalFilter
from fieldsignal.taxonomy import Taxonomy

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


def resolved_filter(t: Taxonomy, filters: SignalFilter) -> SignalFilter:
    """The filter's gap, type, status and category in the taxonomy's spelling (slug or name, case and
    spaces ignored, an unambiguous start, as `review fix` reads them); an unknown one is an error."""
    f = filters.model_copy()
    if f.gap:
        f.gap = t.find_gap(f.gap).slug
    f.signal_type = t.resolve("signal type", f.signal_type)
    f.status = t.resolve("status", f.status)
    if f.category:
        found = [c for c in t.category_names if c.casefold().startswith(f.category.strip().casefold())]
        if len(found) != 1:
            raise FieldsignalError(f"category {f.category!r}: use one of {', '.join(t.category_names)}")
        f.category = found[0]
    return f

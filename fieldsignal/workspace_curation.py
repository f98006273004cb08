"""Taking a signal out of the log and putting it back (mixed into Workspace): reject and restore; and
reading a log filter as a person types it."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, cast

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


def promote(ws: Workspace, proposal_id: str, name: str, category: str, who: str, use_case: str = "",
            description: str = "") -> tuple[Any, list[Signal]]:  # fmt: skip
    """Make a proposed gap a known one (kept in the log): (the new gap, its signals)."""
    from fieldsignal.taxonomy import Gap

    if not name.strip():
        raise FieldsignalError("a new gap needs a name")
    known = ws.taxonomy.category_names
    picked = next((c for c in known if c.lower() == category.strip().lower()), None)
    if picked is None:
        raise FieldsignalError(f"unknown category {category!r} (use one of: {', '.join(known)})")
    found = next((p for p in ws.proposals() if p.id.lower() == proposal_id.lower()), None)
    gap = Gap(
        slug=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "gap",
        name=name.strip(),
        category=picked,
        use_case_blocked=use_case,
        source="promoted",
        description=description or name.strip(),
        examples=[s.excerpt for s in found.signals][:12] if found else [],
    )
    return gap, ws.settle_proposal(proposal_id, "promote", who, gap=gap)


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

"""What a person decides about the log (a component of the Workspace facade): a queued signal
accepted or fixed, a signal rejected and restored, a proposed gap promoted, merged or dismissed; and
reading a log filter as a person types it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import Signal
from fieldsignal.store.signals import SignalFilter
from fieldsignal.taxonomy import Gap, Taxonomy
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts
from fieldsignal.workspace_save import save_vectors


class Curation:
    def __init__(self, parts: Parts, index: VectorIndex) -> None:
        self.parts, self.index = parts, index

    def review(self, signal_id: int, who: str, fix: Any = None, rebuild: bool = True) -> Signal:
        """Accept (fix None) or fix a queued signal; the triage learns from it at once. A fix of the
        quote (`excerpt`: words of the note) gives the signal that excerpt's vector, in the log and the
        index: second reports are matched on it, and the triage learns the labels from those words."""
        from fieldsignal.store import transaction
        from fieldsignal.store.review import point_vector, resolve

        quote = self._quote(signal_id, fix.excerpt) if fix is not None and fix.excerpt is not None else None
        with self.parts.store(write=True) as con, transaction(con):
            signal = resolve(con, self.parts.taxonomy, signal_id, who, _now(), fix)
            if quote is not None:
                save_vectors(con, self.parts.embedder, [quote[1]], quote[2])
                point_vector(con, signal_id, quote[1])
        if quote is not None:
            self.index.add([signal_id], quote[2], None, [signal])
        if rebuild:
            self.parts.forget_triage()  # rebuilt with the new example on next use
        return signal

    def _quote(self, signal_id: int, wanted: str) -> tuple[str, str, Any] | None:
        """The note's words a reviewer quotes (checked before the model loads), their key and vector;
        None when the signal quotes them already."""
        from fieldsignal.store.review import requoted

        with self.parts.store() as con:
            quoted = requoted(con, signal_id, wanted)
        if quoted is None:
            return None
        embedder = self.parts.embedder
        return quoted, embedder.key(quoted), embedder.encode([quoted])

    def reject(self, signal_id: int, why: str, who: str) -> Signal:
        """ "Not a signal" (a greeting, a test row, a misread): kept and restorable, counted nowhere."""
        from fieldsignal.store import transaction
        from fieldsignal.store.rejections import reject
        from fieldsignal.store.review import taught
        from fieldsignal.store.signals import get_signal

        with self.parts.store(write=True) as con, transaction(con):
            reject(con, signal_id, why, who, _now())
            signal, learnt = get_signal(con, signal_id), taught(con, signal_id)
        if learnt:
            self.parts.forget_triage()  # its review no longer teaches the triage
        return signal

    def restore(self, signal_id: int, who: str, why: str | None = None) -> Signal:
        """Count a rejected signal again."""
        from fieldsignal.store import transaction
        from fieldsignal.store.rejections import restore
        from fieldsignal.store.review import taught
        from fieldsignal.store.signals import get_signal

        with self.parts.store(write=True) as con, transaction(con):
            restore(con, signal_id, who, _now(), why)
            signal, learnt = get_signal(con, signal_id), taught(con, signal_id)
        if learnt:
            self.parts.forget_triage()  # its review teaches the triage again
        return signal

    # ---------------------------------------------------------------- new gaps
    def proposals(self) -> list[Any]:
        """Signals proposing a new gap, grouped into candidate gaps."""
        from fieldsignal.dedupe.discovery import cluster
        from fieldsignal.store import signals as repo

        with self.parts.store() as con:
            signals, vectors = repo.signal_vectors(con, proposals_only=True)
        return cluster(signals, vectors)

    def settle_proposal(
        self, proposal_id: str, action: str, who: str, into: str | None = None, gap: Gap | None = None
    ) -> list[Signal]:
        """`promote` (with `gap`), `merge` (`into` a known gap) or `dismiss` a proposal's signals."""
        from fieldsignal.errors import NotFoundError
        from fieldsignal.store.review import Fix

        found = next((p for p in self.proposals() if p.id.lower() == proposal_id.lower()), None)
        if found is None:
            raise NotFoundError(f"no proposed gap {proposal_id!r} (see `fieldsignal gaps`)")
        taxonomy = self.parts.taxonomy
        if action == "promote":
            if gap is None or taxonomy.resolve_gap(gap.slug) or taxonomy.resolve_gap(gap.name):
                raise FieldsignalError(f"a gap named {gap.name if gap else '?'!r} already exists: use merge")
            from fieldsignal.store.gaps import add_promoted_gap

            with self.parts.store(write=True) as con:
                if not add_promoted_gap(con, gap.model_dump(), who, _now()):
                    raise FieldsignalError(f"a gap with the slug {gap.slug!r} was promoted meanwhile: use merge")
            self.parts.forget_taxonomy()
            target = gap.slug
        elif action == "merge":
            known = taxonomy.resolve_gap(into)
            if known is None:
                raise FieldsignalError(f"unknown gap {into!r} to merge into")
            target = known.slug
        else:
            target = "none"
        settled = [self.review(s.id, who, Fix(gap=target), rebuild=False) for s in found.signals]
        self.parts.forget_triage()
        return settled

    def promote(
        self, proposal_id: str, name: str, category: str, who: str, use_case: str = "", description: str = ""
    ) -> tuple[Gap, list[Signal]]:
        """Make a proposed gap a known one (kept in the log): (the new gap, its signals)."""
        if not name.strip():
            raise FieldsignalError("a new gap needs a name")
        known = self.parts.taxonomy.category_names
        picked = next((c for c in known if c.lower() == category.strip().lower()), None)
        if picked is None:
            raise FieldsignalError(f"unknown category {category!r} (use one of: {', '.join(known)})")
        found = next((p for p in self.proposals() if p.id.lower() == proposal_id.lower()), None)
        gap = Gap(
            slug=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "gap",
            name=name.strip(),
            category=picked,
            use_case_blocked=use_case,
            source="promoted",
            description=description or name.strip(),
            examples=[s.excerpt for s in found.signals][:12] if found else [],
        )
        return gap, self.settle_proposal(proposal_id, "promote", who, gap=gap)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def resolved_filter(taxonomy: Callable[[], Taxonomy], filters: SignalFilter) -> SignalFilter:
    """The filter's gap, type, status and category in the taxonomy's spelling (slug or name, case and
    spaces ignored, an unambiguous start, as `review fix` reads them); an unknown one is an error. The
    taxonomy (whose promoted gaps live in the log) is read only when the filter names one of them."""
    if not (filters.gap or filters.signal_type or filters.status or filters.category):
        return filters
    t = taxonomy()
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

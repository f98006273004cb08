"""The read side of a workspace (a component of the Workspace facade): memo drafts, metrics, questions,
LLM usage."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from functools import cached_property
from typing import Any

from fieldsignal.errors import FieldsignalError, InputError
from fieldsignal.models import Signal
from fieldsignal.store import signals as repo
from fieldsignal.vectorstore.index import NOTES, SIGNALS
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts

NEAREST_QUOTES = 40  # the index's nearest quotes read for `similar`, to its quote and to its note (each)


class Insights:
    def __init__(self, parts: Parts, index: VectorIndex) -> None:
        self.parts, self.vector_index = parts, index

    @cached_property
    def desk(self) -> Any:
        """Memo drafts: compose, edit, approve, publish (reports.drafts)."""
        ws = self.parts
        from fieldsignal.reports.drafts import Desk, Mail

        chat = ws.llm.chat if ws.llm is not None else None
        mail = Mail(ws.settings.memo_from, ws.settings.memo_to, ws.settings.base_url)
        return Desk(ws.store, ws.taxonomy, ws.settings.outbox_path, chat, ws.settings.llm_redact_customers, mail=mail)

    def ask(self, question: str, today: dt.date | None = None) -> Any:
        """An exact answer with its SQL and signal ids, or (not understood) the closest signals."""
        ws = self.parts
        from fieldsignal.ask.answer import answer

        if not question.strip():
            raise InputError('ask a question, e.g. "which gap cost us the most ACV last quarter?"')
        if not ws.settings.log_exists():
            raise FieldsignalError("the workspace is empty: add or import notes first")
        day = today or dt.date.today()
        box = None
        with ws.store() as con:
            result = answer(con, question[:1000], ws.taxonomy, day)
            if not result.understood and ws.llm is not None:
                from fieldsignal.store.sandbox import snapshot

                box = snapshot(con)  # the model's SQL runs on this copy, after the store is released
        if box is not None:
            from fieldsignal.agent.text_to_sql import llm_answer
            from fieldsignal.store.db import release_before_network

            release_before_network("asking the LLM for SQL")

            try:
                gaps = [g.name for g in ws.taxonomy.gaps]
                result = llm_answer(box, ws.llm.chat, question[:1000], day.isoformat(), gaps) or result
            finally:
                box.close()
        if not result.understood:
            result.related = self._related(question)
        return result

    def _related(self, question: str, k: int = 5) -> list[dict[str, Any]]:
        ws = self.parts
        try:
            hits = self.vector_index.index.query(SIGNALS, ws.embedder.encode([question])[0], k)
        except Exception:  # an empty or missing index: no related signals, never a crash
            return []
        with ws.store() as con:
            found = repo.signals_by_id(con, [int(h.id) for h in hits])
        signals = [found[int(h.id)] for h in hits if int(h.id) in found and found[int(h.id)].rejected_at is None]
        return [{"id": s.id, "customer": s.customer, "gap": s.gap_name, "excerpt": s.excerpt[:160]} for s in signals]

    def similar(self, signal_id: int, limit: int = 5) -> list[tuple[Signal, float]]:
        """Other notes' signals nearest in meaning to this one, best first, with their cosine: the closer of
        the two quotes' and the two whole notes' (a retold story shares its note's meaning more than its
        quote's sentence; the quote finds the same ask told among other things). None rejected. Candidates
        are the index's nearest quotes to this quote and to this note, and the signals of its nearest notes,
        read by stored vectors: no model loads. Whether other accounts report the same thing in other words,
        and how it was labelled."""
        from fieldsignal.store import duplicates as dupes_repo

        ws = self.parts
        with ws.store() as con:
            repo.get_signal(con, signal_id)  # an unknown id: one clear line
            mine = dupes_repo.candidates(con, [], [], dt.date.min, [signal_id], vectors=True)
        me = mine[0] if mine else None
        if me is None or me.vector is None or limit <= 0:
            return []  # rejected (not a candidate), or stored without a vector
        try:
            index = self.vector_index.index
            found = index.nearest(SIGNALS, me.vector, NEAREST_QUOTES)
            notes: list[int] = []
            if me.note_vector is not None:
                found |= index.nearest(SIGNALS, me.note_vector, NEAREST_QUOTES)
                notes = [int(i) for i in index.nearest(NOTES, me.note_vector, NEAREST_QUOTES) if i.isdigit()]
        except Exception:  # an unusable index: nothing to show, never a crash (`reindex` rebuilds it)
            return []
        ids = sorted(int(i) for i in found if i.isdigit())
        with ws.store() as con:  # none rejected
            others = dupes_repo.candidates(con, [], [], dt.date.min, ids, vectors=False, notes=notes)
            rows = repo.signals_by_id(con, [c.id for c in others])
        with suppress(Exception):  # as above: an unusable index shows those found so far
            found |= index.vectors(SIGNALS, [str(c.id) for c in others if str(c.id) not in found])
        scored = []
        for other in others:
            if other.note_id == me.note_id or other.id not in rows or str(other.id) not in found:
                continue
            cosine = float(me.vector @ found[str(other.id)])
            if me.note_vector is not None and other.note_vector is not None:
                cosine = max(cosine, float(me.note_vector @ other.note_vector))
            scored.append((rows[other.id], cosine))
        scored.sort(key=lambda pair: (-pair[1], pair[0].id))
        return scored[:limit]

    def gap_overview(self, gap: str) -> dict[str, Any]:
        """A known gap's page: its definition, figures (all time), weeks, status, tickets, signals, drafts."""
        ws = self.parts
        from fieldsignal.store import reports
        from fieldsignal.store.signals import SignalFilter

        known = ws.taxonomy.find_gap(gap)
        with ws.store() as con:
            summary = reports.gap_summary(con, known.slug)
            statuses, tickets = reports.gap_states(con, [known.slug]).get(known.slug, ([], []))
        with ws.store() as con:
            signals = repo.list_signals(con, SignalFilter(gap=known.slug))  # the taxonomy's own slug
        cited = {f"#{s.id}" for s in signals}  # as a memo cites them
        drafts = self.desk.drafts()
        mentioned = [d for d in drafts if known.name in d.latest.body or any(c in d.latest.body for c in cited)]
        return {"gap": known, "statuses": statuses, "tickets": tickets, "rows": signals, "drafts": mentioned,
                **summary}  # fmt: skip

    def weekly_by_category(self, weeks: int = 12) -> dict[str, dict[str, int]]:
        ws = self.parts
        from fieldsignal.store.tally import weekly_by_category

        if not ws.settings.log_exists():
            return {}
        with ws.store() as con:
            return weekly_by_category(con, weeks)

    def metrics(self, today: dt.date, weeks: int = 8) -> Any:
        ws = self.parts
        from fieldsignal.reports.metrics import metrics

        with ws.store() as con:
            return metrics(con, today, weeks)

    def llm_usage(self, since: dt.date | None = None) -> list[Any]:
        ws = self.parts
        from fieldsignal.store.llm import usage_summary

        if not ws.settings.log_exists():
            return []
        with ws.store() as con:
            return usage_summary(con, since)

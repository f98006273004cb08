"""Review decisions: accept a signal as triaged, or fix its labels; both become labelled examples."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import LOSS, LabelledExample, Signal
from fieldsignal.records import customer_key
from fieldsignal.store.signals import get_signal
from fieldsignal.taxonomy import Taxonomy


class Fix(BaseModel):
    """What a reviewer changes; unset fields stay as they are. `gap`: slug or name, `none`, or `new: label`."""

    model_config = ConfigDict(extra="forbid")

    signal_type: str | None = None  # checked against the taxonomy's types
    gap: str | None = None
    category: str | None = None
    customer: str | None = None
    industry: str | None = None  # checked against the taxonomy's industries
    archetype: str | None = None  # checked against the taxonomy's archetypes
    competitor: str | None = None
    acv_usd: int | None = None
    lost_deal: bool | None = None
    excerpt: str | None = None  # the words of its note the signal quotes (`quote_in` finds them there)


# Typographic quotes and dashes read as the plain ones a reviewer types (one character for one: places keep)
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def quote_in(text: str, quote: str) -> str:
    """The words of the note `text` that a reviewer's `quote` gives, as the note has them: case, runs of
    white space (a wrapped line) and typographic quotes aside. Raises when the note does not hold them."""
    words = quote.translate(_PLAIN).split()
    if not words:
        raise FieldsignalError("the quote is empty: give the words of the note that state the signal")
    found = re.search(r"\s+".join(map(re.escape, words)), text.translate(_PLAIN), re.IGNORECASE)
    if found is None:
        raise FieldsignalError("the quote is not in the signal's note: give its words as the note has them")
    return text[found.start() : found.end()]


def requoted(con: Any, signal_id: int, wanted: str) -> str | None:
    """The words of the signal's note a reviewer's quote gives (`quote_in`), or None when the signal quotes
    them already; raises when the note does not hold them."""
    signal = get_signal(con, signal_id)
    text = str(con.execute("SELECT text FROM notes WHERE id = ?", [signal.note_id]).fetchone()[0])
    quoted = quote_in(text, wanted)
    return None if quoted == signal.excerpt else quoted


def point_vector(con: Any, signal_id: int, key: str) -> None:
    """The signal's excerpt vector is now the stored one under `key` (the caller has stored it)."""
    con.execute("DELETE FROM signal_vectors WHERE signal_id = ?", [signal_id])
    con.execute("INSERT INTO signal_vectors (signal_id, hash) VALUES (?, ?)", [signal_id, key])


def _gap_columns(taxonomy: Taxonomy, value: str) -> dict[str, Any]:
    text = value.strip()
    if text.lower() in ("none", "no gap", "-", ""):
        return {"gap": None, "gap_name": None, "new_gap_label": None, "category": None, "use_case_blocked": None}
    if text.lower().startswith("new:"):
        label = text[4:].strip()
        if not label:
            raise FieldsignalError("a new gap needs a label: --gap 'new: no websocket support'")
        return {"gap": None, "gap_name": None, "new_gap_label": label, "use_case_blocked": None}
    try:
        gap = taxonomy.find_gap(text)  # slug, name, or the start of only one
    except FieldsignalError as exc:
        raise FieldsignalError(f"{exc}; or 'none', or 'new: label'") from None
    return {
        "gap": gap.slug,
        "gap_name": gap.name,
        "new_gap_label": None,
        "category": gap.category,
        "use_case_blocked": gap.use_case_blocked,
    }


def _updates(taxonomy: Taxonomy, fix: Fix) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    if fix.gap is not None:
        updates |= _gap_columns(taxonomy, fix.gap)
    if fix.category is not None:
        category = next((c for c in taxonomy.category_names if c.lower() == fix.category.lower()), None)
        if category is None:
            raise FieldsignalError(
                f"unknown category {fix.category!r} (use one of: {', '.join(taxonomy.category_names)})"
            )
        updates["category"] = category
    for field in ("customer", "competitor", "acv_usd", "lost_deal"):
        value = getattr(fix, field)
        if value is not None:
            updates[field] = value
    if "customer" in updates:
        updates["customer_key"] = customer_key(updates["customer"])
    if fix.signal_type is not None:
        updates["signal_type"] = taxonomy.resolve("signal type", fix.signal_type)
    if fix.industry is not None:
        updates["industry"] = taxonomy.resolve("industry", fix.industry)
    if fix.archetype is not None:
        updates["archetype"] = taxonomy.resolve("archetype", fix.archetype)
    if updates.get("signal_type") == LOSS and fix.lost_deal is None:
        updates["lost_deal"] = True
    return updates


def resolve(con: Any, taxonomy: Taxonomy, signal_id: int, who: str, now: dt.datetime, fix: Fix | None = None) -> Signal:
    """Accept (no fix) or fix a signal; resolve its review entry; store the labelled example.

    The caller holds the transaction.
    """
    get_signal(con, signal_id)
    updates = _updates(taxonomy, fix) if fix else {}
    quoted = requoted(con, signal_id, fix.excerpt) if fix is not None and fix.excerpt is not None else None
    if quoted is not None:
        updates["excerpt"] = quoted
    updates["needs_review"] = False
    if len(updates) > 1:  # a fix that changed something: a person decided (an accept keeps who decided)
        updates["decided_by"] = "human"
    if fix:
        updates |= {"confidence": 1.0, "type_confidence": 1.0, "gap_confidence": 1.0}
    assignments = ", ".join(f"{column} = ?" for column in updates)
    con.execute(f"UPDATE signals SET {assignments} WHERE id = ?", [*updates.values(), signal_id])
    con.execute(
        "UPDATE review_queue SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE signal_id = ? "
        "AND resolved_at IS NULL",
        [now, who, "fixed" if fix else "accepted", signal_id],
    )
    signal = get_signal(con, signal_id)
    con.execute(
        "INSERT INTO labelled_examples (text, signal_type, gap, new_gap_label, signal_id, who, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [signal.excerpt, signal.signal_type, signal.gap, signal.new_gap_label, signal_id, who, now],
    )
    return signal


def labelled_examples(con: Any) -> list[LabelledExample]:
    """The examples the triage learns from: a signal reviewed twice teaches its latest labels only, and a
    signal rejected since ("not a signal") teaches nothing (the rows stay, as the record of who decided what)."""
    rows = con.execute(
        "SELECT e.text, e.signal_type, e.gap, e.new_gap_label FROM labelled_examples e "
        "LEFT JOIN signals s ON s.id = e.signal_id WHERE s.rejected_at IS NULL AND (e.signal_id IS NULL "
        "OR e.id = (SELECT max(l.id) FROM labelled_examples l WHERE l.signal_id = e.signal_id)) ORDER BY e.id"
    ).fetchall()
    return [LabelledExample(text=r[0], signal_type=r[1], gap=r[2], new_gap_label=r[3]) for r in rows]


def taught(con: Any, signal_id: int) -> bool:
    """Whether a review of this signal is among the examples the triage learns from (or was, before a reject)."""
    return con.execute("SELECT count(*) FROM labelled_examples WHERE signal_id = ?", [signal_id]).fetchone()[0] > 0

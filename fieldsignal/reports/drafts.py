"""The drafting desk: figures → template draft → versions → approval → outbox.

Drafts are rendered offline from versioned Jinja2 templates in `fieldsignal/prompts/`
(`memo_weekly`, `memo_newsletter`, `memo_losses`); each version keeps the figures it was
drafted from. Nothing is published before a person approves its latest version.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from html import escape
from pathlib import Path
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.prompts import load
from fieldsignal.reports.memo_figures import SCORE_RULE, Period, gap_facts, month_period, week_period
from fieldsignal.reports.monthly import loss_summary, newsletter_facts
from fieldsignal.store import drafts as repo
from fieldsignal.store import reports
from fieldsignal.taxonomy import Taxonomy

KINDS = ("weekly", "newsletter", "losses")
TITLES = {
    "weekly": "PM Feedback Synthesis",
    "newsletter": "Apps Field Signal newsletter",
    "losses": "Monthly Loss Summary",
}
Store = Callable[..., AbstractContextManager[Any]]


@dataclass
class Desk:
    store: Store  # store(write=False) -> a DuckDB connection context
    taxonomy: Taxonomy
    outbox: Path
    chat: Any = None  # a ChatModel when an LLM is configured: it polishes the prose
    redact_customers: bool = True
    warnings: list[str] = field(default_factory=list)  # of the last draft (e.g. a refused polish)
    mail: Mail = field(default_factory=lambda: Mail())  # the .eml's sender and recipients, the links' base

    # ---------------------------------------------------------------- drafting
    def compose(self, kind: str, period: str) -> tuple[str, str, str]:
        """(period label, Markdown body, figures as JSON) for a memo, read-only."""
        with self.store() as con:
            _, label, body, facts = self._composed(con, kind, period)
        return label, body, facts

    def _composed(self, con: Any, kind: str, period: str) -> tuple[Period, str, str, str]:
        """(the period, its label, the Markdown body, the figures as JSON), read on `con`."""
        if kind == "weekly":
            p = week_period(period)
            gaps = gap_facts(con, self.taxonomy, p)
            total = reports.count_signals(con, p.start, p.end)
            new_gaps = newsletter_facts(con, p).new_gaps
            values = {"period": p, "top": gaps[:3], "gaps": gaps, "total_signals": int(total), "new_gaps": new_gaps}
            body = load("memo_weekly").render(**values, score_rule=SCORE_RULE)
        elif kind == "losses":
            p = month_period(period)
            values = {"summary": loss_summary(con, self.taxonomy, p)}
            body = load("memo_losses").render(**values)
        elif kind == "newsletter":
            p = month_period(period)
            values = {"facts": newsletter_facts(con, p)}
            body = load("memo_newsletter").render(**values)
        else:
            raise FieldsignalError(f"unknown memo {kind!r} (use one of: {', '.join(KINDS)})")
        facts = json.dumps(values, default=_plain, sort_keys=True)
        return p, p.label, _tidy(body), facts

    def draft(self, kind: str, period: str, who: str, now: dt.datetime) -> repo.Draft:
        """The template draft as a new version; with an LLM, its polish as the next one if it agrees with the data."""
        with self.store() as con:  # the memo and whether its period is empty, on one read
            p, label, body, facts = self._composed(con, kind, period)
            self.warnings = [w for w in [_empty(con, kind, p)] if w]
        polished, usage = self._polish(kind, body, now) if self.chat is not None else (None, None)
        with self.store(write=True) as con:
            draft = repo.add_version(con, kind, label, body, facts, f"template:memo_{kind}", who, now)
            if polished is not None:
                draft = repo.add_version(con, kind, label, polished, facts, f"llm:{self.chat.name}", who, now)
            if usage is not None:
                from fieldsignal.store.llm import record_usage

                record_usage(con, [usage])
        return draft

    def _polish(self, kind: str, body: str, now: dt.datetime) -> tuple[str | None, Any]:
        from fieldsignal.reports.polish import polish
        from fieldsignal.store.db import release_before_network
        from fieldsignal.store.llm import UsageRecord

        with self.store() as con:
            customers = reports.signal_customers(con)
        names = [g.name for g in self.taxonomy.gaps] + customers
        release_before_network("polishing a draft with the LLM")  # the model may take minutes: hold nothing
        text, problems, reply = polish(self.chat, kind, body, names, customers, self.redact_customers)
        if problems:
            self.warnings.append("LLM polish refused, template draft kept: " + "; ".join(problems[:8]))
        usage = UsageRecord(
            called_at=now,
            model=self.chat.name,
            prompt_id=load("memo_polish").id,
            input_tokens=reply.input_tokens if reply else 0,
            output_tokens=reply.output_tokens if reply else 0,
            ok=text is not None,
            error="; ".join(problems[:8]) or None,
            seconds=reply.seconds if reply else None,
        )
        return text, usage

    # ---------------------------------------------------------------- review
    def drafts(self) -> list[repo.Draft]:
        with self.store() as con:
            return repo.list_drafts(con)

    def get(self, draft_id: int) -> repo.Draft:
        with self.store() as con:
            return repo.get_draft(con, draft_id)

    def edit(self, draft_id: int, body: str, who: str, now: dt.datetime) -> repo.Draft:
        draft = self.get(draft_id)
        if not body.strip():
            raise FieldsignalError("an empty draft is not saved; the previous version stands")
        if body == draft.latest.body:
            return draft
        with self.store(write=True) as con:
            return repo.add_version(con, draft.kind, draft.period, body, draft.latest.facts, "edit", who, now)

    def approve(self, draft_id: int, who: str, now: dt.datetime) -> repo.Draft:
        with self.store(write=True) as con:
            return repo.approve(con, draft_id, who, now)

    def publish(self, draft_id: int, now: dt.datetime) -> tuple[repo.Draft, list[Path]]:
        """Markdown, HTML and an .eml of the approved version, written to the outbox."""
        draft = self.get(draft_id)
        if draft.approved_version != draft.latest.version or draft.status == "draft":
            raise FieldsignalError(
                f"draft {draft_id} is not approved in its latest version: `fieldsignal drafts approve`"
            )
        if draft.status == "published":
            raise FieldsignalError(
                f"draft {draft_id} v{draft.latest.version} is already published ({draft.published_at}); "
                "edit it to publish a new version"
            )
        paths = write_outbox(self.outbox, draft, now, self.mail)
        with self.store(write=True) as con:
            return repo.mark_published(con, draft_id, str(paths[0].parent), now), paths


@dataclass(frozen=True)
class Mail:
    sender: str = "fieldsignal <fieldsignal@localhost>"
    to: str | None = None  # comma-separated addresses
    base_url: str | None = None  # the web app's address: each cited #id links to its signal page


def write_outbox(outbox: Path, draft: repo.Draft, now: dt.datetime, mail: Mail | None = None) -> list[Path]:
    """The approved version as .md, .html and .eml; never over a file already there."""
    from fieldsignal.reports.safe_html import markdown_to_safe_html

    mail = mail or Mail()
    outbox.mkdir(parents=True, exist_ok=True)
    stem = f"{draft.kind}-{draft.period}-v{draft.latest.version}"
    out = [outbox / f"{stem}.md", outbox / f"{stem}.html", outbox / f"{stem}.eml"]
    taken = [p.name for p in out if p.exists()]
    if taken:
        raise FieldsignalError(f"{outbox} already holds {', '.join(taken)}: not written over")
    title = f"{TITLES[draft.kind]} — {draft.period}"
    links = mail.base_url.rstrip("/") if mail.base_url else None
    html = markdown_to_safe_html(draft.latest.body, signal_links=links)  # the body quotes field notes: untrusted
    head = f"<head><meta charset='utf-8'><title>{escape(title)}</title></head>"
    page = f"<!doctype html>\n<html>{head}<body>\n{html}\n</body></html>\n"
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = mail.sender
    if mail.to:
        message["To"] = mail.to
    message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["X-Fieldsignal-Draft"] = f"{draft.id} v{draft.latest.version} approved by {draft.approved_by}"
    message.set_content(draft.latest.body)
    message.add_alternative(page, subtype="html")
    out[0].write_text(draft.latest.body, encoding="utf-8")
    out[1].write_text(page, encoding="utf-8")
    out[2].write_bytes(bytes(message))
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


_ITEM = re.compile(r"^(?:- |\d+\. |\| )")


def _tidy(body: str) -> str:
    """Drop the blank lines template loops leave between list items and table rows; at most one elsewhere."""
    lines = body.strip().split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip():
            prev, nxt = (kept[-1] if kept else ""), (lines[i + 1] if i + 1 < len(lines) else "")
            if not prev.strip() or (_ITEM.match(prev) and _ITEM.match(nxt)):
                continue
        kept.append(line.rstrip())
    return "\n".join(kept) + "\n"


def _empty(con: Any, kind: str, p: Period) -> str | None:
    """What to say when the period holds no signal: the default is the last whole week or month, and a log
    filled today drafts an empty memo for it."""
    if reports.count_signals(con, p.start, p.end):
        return None
    latest = reports.latest_signal_date(con)
    if latest is None:
        return f"{p.label} holds no signals: the log holds none yet"
    if latest <= p.end:
        return f"{p.label} holds no signals (the latest is dated {latest})"
    year, week, _ = latest.isocalendar()
    there = f"{year}-W{week:02d}" if kind == "weekly" else f"{latest:%Y-%m}"
    return f"{p.label} holds no signals; the latest is dated {latest}, in {there}"

"""The JSON API: the CLI's commands over HTTP, calling the same Workspace methods."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from fieldsignal.errors import FieldsignalError, InputError, NotFoundError, StoreBusyError
from fieldsignal.web.auth import require_writer

router = APIRouter(prefix="/api", tags=["api"])
Writer = Annotated[str, Depends(require_writer)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=2_000_000)
    source: str = "web"
    author: str | None = None
    date: dt.date | None = None


class StatusIn(Strict):
    status: str
    why: str | None = None
    ticket: str | None = None


class FixIn(Strict):
    signal_type: str | None = None
    gap: str | None = None
    category: str | None = None
    customer: str | None = None
    industry: str | None = None
    competitor: str | None = None
    acv_usd: int | None = Field(default=None, ge=0)
    lost_deal: bool | None = None
    excerpt: str | None = Field(default=None, min_length=1, max_length=20_000)  # words of the note, as written


class RejectIn(Strict):
    why: str = Field(min_length=1, max_length=2000)


class RestoreIn(Strict):
    why: str | None = Field(default=None, max_length=2000)


class AskIn(Strict):
    question: str = Field(min_length=1, max_length=1000)
    today: dt.date | None = None


class MemoIn(Strict):
    kind: str
    period: str


class EditIn(Strict):
    body: str = Field(min_length=1)


def ws(request: Request) -> Any:
    return request.app.state.workspace


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def errors(exc: FieldsignalError) -> HTTPException:
    """One-line errors with the status a client can act on."""
    if isinstance(exc, NotFoundError):
        return HTTPException(404, str(exc))
    if isinstance(exc, StoreBusyError):
        return HTTPException(503, str(exc))
    return HTTPException(400 if isinstance(exc, InputError) else 422, str(exc))


@router.post("/notes")
def add_note(note: NoteIn, request: Request, who: Writer) -> dict[str, Any]:
    from fieldsignal.ingest import note_from_text

    try:
        item = note_from_text(note.text, source=note.source, author=note.author or who, date=note.date)
        report = ws(request).add_notes([item])
    except FieldsignalError as exc:
        raise errors(exc) from None
    signals = report.signals  # the rows the write read back: no second query
    return {"report": report, "signals": signals}


@router.get("/signals")
def list_signals(
    request: Request,
    gap: str | None = None,
    category: str | None = None,
    signal_type: str | None = None,
    status: str | None = None,
    customer: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[Any]:
    from fieldsignal.store.signals import SignalFilter

    f = SignalFilter(
        gap=gap, category=category, signal_type=signal_type, status=status, customer=customer, since=since, until=until
    )
    return ws(request).list_signals(f)


@router.get("/signals/{signal_id}")
def show_signal(signal_id: int, request: Request) -> dict[str, Any]:
    try:
        return ws(request).show(signal_id)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.get("/signals/{signal_id}/similar")
def similar_signals(
    signal_id: int, request: Request, limit: Annotated[int, Query(ge=1, le=50)] = 5
) -> list[dict[str, Any]]:
    """Other notes' signals nearest in meaning to this one (quote or whole note), with their cosine, best first."""
    try:
        return [{"signal": s, "cosine": round(score, 4)} for s, score in ws(request).similar(signal_id, limit)]
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/signals/{signal_id}/status")
def set_status(signal_id: int, change: StatusIn, request: Request, who: Writer) -> Any:
    try:
        return ws(request).set_status(signal_id, change.status, who, change.why, change.ticket)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/signals/{signal_id}/reject")
def reject_signal(signal_id: int, body: RejectIn, request: Request, who: Writer) -> Any:
    """Not a signal: kept with the reason, restorable, counted nowhere."""
    try:
        return ws(request).reject(signal_id, body.why, who)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/signals/{signal_id}/restore")
def restore_signal(signal_id: int, body: RestoreIn, request: Request, who: Writer) -> Any:
    try:
        return ws(request).restore(signal_id, who, body.why)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.get("/review")
def review_queue(request: Request) -> list[dict[str, Any]]:
    return [{"signal": s, "reasons": r} for s, r in ws(request).review_queue()]


@router.post("/review/{signal_id}/accept")
def accept(signal_id: int, request: Request, who: Writer) -> Any:
    try:
        return ws(request).review(signal_id, who)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/review/{signal_id}/fix")
def fix(signal_id: int, change: FixIn, request: Request, who: Writer) -> Any:
    from fieldsignal.store.review import Fix

    try:
        return ws(request).review(signal_id, who, Fix(**change.model_dump()))
    except FieldsignalError as exc:
        raise errors(exc) from None


class SameIn(Strict):
    of: int | None = None  # the earlier signal (default: the one the scorer suggested)


@router.post("/review/{signal_id}/same")
def same(signal_id: int, body: SameIn, request: Request, who: Writer) -> Any:
    """A second report: counted once, under the earlier signal's first report."""
    try:
        return {"signal": signal_id, "duplicate_of": ws(request).mark_same(signal_id, body.of, who)}
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/review/{signal_id}/distinct")
def distinct(signal_id: int, body: SameIn, request: Request, who: Writer) -> Any:
    """Not the same signal: both count; never suggested or linked again."""
    try:
        return {"signal": signal_id, "distinct_from": ws(request).mark_distinct(signal_id, body.of, who)}
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/signals/{signal_id}/unmerge")
def unmerge(signal_id: int, request: Request, who: Writer) -> Any:
    try:
        return {"signal": signal_id, "was_duplicate_of": ws(request).unmerge(signal_id, who)}
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.get("/tally")
def tally(request: Request, by: str = "gap", since: dt.date | None = None, until: dt.date | None = None) -> Any:
    try:
        return ws(request).tally(by, since, until)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/ask")
def ask(question: AskIn, request: Request) -> Any:
    try:
        return ws(request).ask(question.question, question.today)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.get("/metrics")
def metrics(request: Request, today: dt.date | None = None, weeks: Annotated[int, Query(ge=1, le=520)] = 8) -> Any:
    return ws(request).metrics(today or dt.date.today(), weeks)


@router.get("/drafts")
def drafts(request: Request) -> list[Any]:
    return ws(request).desk.drafts()


@router.get("/drafts/{draft_id}")
def draft(draft_id: int, request: Request) -> Any:
    try:
        return ws(request).desk.get(draft_id)
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/memos")
def draft_memo(memo: MemoIn, request: Request, who: Writer) -> Any:
    try:
        return ws(request).desk.draft(memo.kind, memo.period, who, _now())
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/drafts/{draft_id}/edit")
def edit(draft_id: int, change: EditIn, request: Request, who: Writer) -> Any:
    try:
        return ws(request).desk.edit(draft_id, change.body, who, _now())
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/drafts/{draft_id}/approve")
def approve(draft_id: int, request: Request, who: Writer) -> Any:
    try:
        return ws(request).desk.approve(draft_id, who, _now())
    except FieldsignalError as exc:
        raise errors(exc) from None


@router.post("/drafts/{draft_id}/publish")
def publish(draft_id: int, request: Request, who: Writer) -> dict[str, Any]:
    try:
        published, paths = ws(request).desk.publish(draft_id, _now())
    except FieldsignalError as exc:
        raise errors(exc) from None
    return {"draft": published, "files": [p.name for p in paths]}  # names in the outbox, no server paths

"""The page of one signal (`/signals/{id}`): its whole note, every field editable, status with its
reasons, reject or restore, its duplicates, the signals like it and its history. Plain forms that post and
redirect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from fieldsignal.errors import FieldsignalError, NotFoundError
from fieldsignal.web.pages import _back, _page, _writer, _ws

router = APIRouter(include_in_schema=False)


def highlight(text: str, excerpt: str) -> tuple[str, str, str]:
    """(before, the excerpt as the note has it, after); the excerpt not found: (text, "", "")."""
    at = text.find(excerpt.strip()) if excerpt.strip() else -1
    if at < 0:
        return text, "", ""
    end = at + len(excerpt.strip())
    return text[:at], text[at:end], text[end:]


@router.get("/signals/{signal_id}", response_class=HTMLResponse)
def signal_page(signal_id: int, request: Request) -> Response:
    try:
        details = _ws(request).show(signal_id)
    except NotFoundError as exc:
        return _back("/signals", err=str(exc))
    parts = highlight(details["note"]["text"], details["signal"].excerpt)
    similar = _ws(request).similar(signal_id)
    return _page(
        request, "signal.html", d=details, s=details["signal"], parts=parts, taxonomy=_ws(request).taxonomy,
        similar=similar,
    )  # fmt: skip


@router.post("/signals/{signal_id}/edit")
def edit(
    signal_id: int,
    request: Request,
    signal_type: Annotated[str, Form()] = "",
    gap: Annotated[str, Form()] = "",
    new_gap: Annotated[str, Form()] = "",
    customer: Annotated[str, Form()] = "",
    industry: Annotated[str, Form()] = "",
    archetype: Annotated[str, Form()] = "",
    competitor: Annotated[str, Form()] = "",
    lost: Annotated[str, Form()] = "",
    acv: Annotated[str, Form()] = "",
    quote: Annotated[str, Form()] = "",
) -> Response:
    """Change any field or the quote; the change is a review decision the triage learns from (as `review fix`)."""
    from fieldsignal.store.review import Fix

    here = f"/signals/{signal_id}"
    who, deny = _writer(request, here)
    if deny:
        return deny
    try:
        current = _ws(request).show(signal_id)["signal"]
        wanted = _changes(current, signal_type, gap, new_gap, customer, industry, archetype, competitor, lost, acv)
        if quote.split() and quote.split() != current.excerpt.split():  # re-wrapped by the browser: unchanged
            wanted["excerpt"] = quote
        if not wanted:
            return _back(here, msg="nothing changed")
        _ws(request).review(signal_id, who, Fix.model_validate(wanted))
    except ValidationError as exc:
        return _back(here, err=f"not a valid change: {exc.errors()[0]['msg']}")
    except (FieldsignalError, ValueError) as exc:
        return _back(here, err=str(exc))
    return _back(here, msg="saved: " + ", ".join(sorted(wanted)))


def _changes(current: Any, signal_type: str, gap: str, new_gap: str, *rest: str) -> dict[str, Any]:
    """The fields whose submitted value differs from the signal's (blank text: unchanged)."""
    customer, industry, archetype, competitor, lost, acv = (v.strip() for v in rest)
    out: dict[str, Any] = {}
    if signal_type and signal_type != current.signal_type:
        out["signal_type"] = signal_type
    if new_gap.strip():
        out["gap"] = f"new: {new_gap.strip()}"
    elif gap and gap != (current.gap or "none"):
        out["gap"] = gap
    for name, value in (("customer", customer), ("industry", industry), ("archetype", archetype),
                        ("competitor", competitor)):  # fmt: skip
        if value and value != (getattr(current, name) or ""):
            out[name] = value
    if lost in ("yes", "no") and (lost == "yes") != current.lost_deal:
        out["lost_deal"] = lost == "yes"
    if acv:
        amount = int(acv.replace(",", "").replace("$", "").strip() or 0)
        if amount < 0:
            raise ValueError("the ACV cannot be negative")
        if amount != (current.acv_usd or 0):
            out["acv_usd"] = amount
    return out


@router.post("/signals/{signal_id}/reject")
def reject(signal_id: int, request: Request, why: Annotated[str, Form()] = "") -> Response:
    return _reject_or_restore(request, signal_id, "reject", why)


@router.post("/signals/{signal_id}/restore")
def restore(signal_id: int, request: Request, why: Annotated[str, Form()] = "") -> Response:
    return _reject_or_restore(request, signal_id, "restore", why)


def _reject_or_restore(request: Request, signal_id: int, action: str, why: str) -> Response:
    """Reject (not a signal: counted nowhere until restored) or restore, back to the signal's page."""
    here = f"/signals/{signal_id}"
    who, deny = _writer(request, here)
    if deny:
        return deny
    try:
        if action == "reject":
            _ws(request).reject(signal_id, why, who or "")
        else:
            _ws(request).restore(signal_id, who or "", why or None)
    except FieldsignalError as exc:
        return _back(here, err=str(exc))
    done = "rejected: it counts nowhere until restored" if action == "reject" else "restored"
    return _back(here, msg=f"#{signal_id} {done}")


@router.post("/review/{signal_id}/same")
def same(signal_id: int, request: Request, of: Annotated[str, Form()] = "") -> Response:
    return _duplicate(request, signal_id, "same", of, "/review")


@router.post("/review/{signal_id}/distinct")
def distinct(signal_id: int, request: Request, of: Annotated[str, Form()] = "") -> Response:
    return _duplicate(request, signal_id, "distinct", of, "/review")


@router.post("/signals/{signal_id}/unmerge")
def unmerge(signal_id: int, request: Request) -> Response:
    return _duplicate(request, signal_id, "unmerge", "", f"/signals/{signal_id}")


def _duplicate(request: Request, signal_id: int, action: str, of: str, back: str) -> Response:
    """Answer "same signal?" (same: counted once; distinct: both count, never asked again), or unmerge."""
    who, deny = _writer(request, back)
    if deny:
        return deny
    ws = _ws(request)
    other = int(of) if of.strip().isdigit() else None
    try:
        if action == "same":
            message = f"#{signal_id} counts once, as #{ws.mark_same(signal_id, other, who or '')}"
        elif action == "distinct":
            ws.mark_distinct(signal_id, other, who or "")
            message = f"#{signal_id} is a signal of its own"
        else:
            message = (
                f"#{signal_id} counts on its own again (was a second report of #{ws.unmerge(signal_id, who or '')})"
            )
    except FieldsignalError as exc:
        return _back(back, err=str(exc))
    return _back(back, msg=message)


@router.post("/signals/bulk")
async def bulk(request: Request) -> Response:
    """One action on the ticked signals: accept (as triaged), a status (with ticket and reason), or reject."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    back = str(form.get("back") or "/signals")
    back = back if back.startswith("/signals") else "/signals"
    who, deny = _writer(request, back)
    if deny:
        return deny
    ids = [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()][:500]
    action, why = str(form.get("action") or ""), str(form.get("why") or "").strip()
    if not ids:
        return _back(back, err="tick the signals to act on")
    ws = _ws(request)

    def one(signal_id: int) -> None:
        if action == "accept":
            ws.review(signal_id, who, rebuild=False)
        elif action == "reject":
            ws.reject(signal_id, why, who)
        elif action.startswith("status:"):
            ws.set_status(signal_id, action.removeprefix("status:"), who, why or None, None)
        else:
            raise FieldsignalError(f"unknown action {action!r}")

    done, failed = [], []
    for signal_id in ids:
        try:
            await run_in_threadpool(one, signal_id)
            done.append(signal_id)
        except FieldsignalError as exc:
            failed.append(f"#{signal_id}: {exc}")
    if action == "accept" and done:
        ws.forget_triage()  # learns from the accepted signals at the next note
    message = f"{len(done)} signal(s): {action.replace('status:', '→ ')}"
    return _back(back, msg=message, err="; ".join(failed)[:500] or None)

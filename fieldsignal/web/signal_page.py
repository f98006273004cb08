"""The page of one signal (`/signals/{id}`): its whole note, every field editable, status with its
reasons, reject or restore, its duplicates and its history. Plain forms that post and redirect."""

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
    return _page(request, "signal.html", d=details, s=details["signal"], parts=parts, taxonomy=_ws(request).taxonomy)


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
) -> Response:
    """Change any field; the change is a review decision the triage learns from (as `review fix`)."""
    from fieldsignal.store.review import Fix

    here = f"/signals/{signal_id}"
    who, deny = _writer(request, here)
    if deny:
        return deny
    try:
        current = _ws(request).show(signal_id)["signal"]
        wanted = _changes(current, signal_type, gap, new_gap, customer, industry, archetype, competitor, lost, acv)
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
    here = f"/signals/{signal_id}"
    who, deny = _writer(request, here)
    if deny:
        return deny
    try:
        _ws(request).reject(signal_id, why, who)
    except FieldsignalError as exc:
        return _back(here, err=str(exc))
    return _back(here, msg=f"#{signal_id} rejected: it counts nowhere until restored")


@router.post("/signals/{signal_id}/restore")
def restore(signal_id: int, request: Request, why: Annotated[str, Form()] = "") -> Response:
    here = f"/signals/{signal_id}"
    who, deny = _writer(request, here)
    if deny:
        return deny
    try:
        _ws(request).restore(signal_id, who, why or None)
    except FieldsignalError as exc:
        return _back(here, err=str(exc))
    return _back(here, msg=f"#{signal_id} restored")

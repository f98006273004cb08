"""A page per gap (`/gaps/{slug}`) and the proposals page (`/gaps`): promote, merge or dismiss in the browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fieldsignal.errors import FieldsignalError
from fieldsignal.web import charts
from fieldsignal.web.pages import _back, _page, _writer, _ws

router = APIRouter(include_in_schema=False)


@router.get("/gaps", response_class=HTMLResponse)
def gaps(request: Request) -> HTMLResponse:
    ws = _ws(request)
    rows = {r.key: r for r in ws.tally("gap").rows if r.key}
    known = [(g, rows.get(g.name)) for g in ws.taxonomy.gaps]
    return _page(request, "gaps.html", known=known, proposals=ws.proposals(), taxonomy=ws.taxonomy)


@router.get("/gaps/{gap}", response_class=HTMLResponse)
def gap(gap: str, request: Request) -> Response:
    try:
        view = _ws(request).gap_overview(gap)
    except FieldsignalError as exc:
        return _back("/gaps", err=str(exc))
    weeks = charts.hbar([(w, n) for w, n in view["weeks"][-12:]], title="signals per week")
    return _page(request, "gap.html", v=view, weeks=weeks)


@router.post("/gaps/proposals/{proposal_id}/{action}")
def settle(
    proposal_id: str,
    action: str,
    request: Request,
    name: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    use_case: Annotated[str, Form()] = "",
    into: Annotated[str, Form()] = "",
) -> Response:

    who, deny = _writer(request, "/gaps")
    if deny:
        return deny
    ws = _ws(request)
    try:
        if action == "promote":
            new, moved = ws.promote(proposal_id, name, category, who or "", use_case)
            return _back(f"/gaps/{new.slug}", msg=f"{new.name} is a known gap now; {len(moved)} signal(s) moved to it")
        if action == "merge":
            moved = ws.settle_proposal(proposal_id, "merge", who or "", into=into)
            return _back("/gaps", msg=f"{len(moved)} signal(s) merged into {moved[0].gap_name}")
        if action == "dismiss":
            moved = ws.settle_proposal(proposal_id, "dismiss", who or "")
            return _back("/gaps", msg=f"{len(moved)} signal(s) no longer propose a gap")
    except FieldsignalError as exc:
        return _back("/gaps", err=str(exc))
    return _back("/gaps", err=f"unknown action {action!r}")

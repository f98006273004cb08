"""Server-rendered pages: plain HTML forms that post and redirect (no JavaScript needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from fieldsignal.errors import FieldsignalError
from fieldsignal.web import charts
from fieldsignal.web.auth import COOKIE, identity

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _page(request: Request, name: str, **values: Any) -> HTMLResponse:
    q = request.query_params
    values = {"who": identity(request), "flash": q.get("msg"), "error": q.get("err"), "path": request.url.path} | values
    return templates.TemplateResponse(request, name, values)


def _back(path: str, msg: str | None = None, err: str | None = None) -> RedirectResponse:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in (("msg", msg), ("err", err)) if v})
    joint = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joint + query if query else ''}", status_code=303)


def _writer(request: Request, path: str) -> tuple[str | None, RedirectResponse | None]:
    who = identity(request)
    return (who, None) if who else (None, _back("/login", err="sign in to change anything"))


def _ws(request: Request) -> Any:
    return request.app.state.workspace


# ---------------------------------------------------------------- paste
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    ids = [int(i) for i in request.query_params.get("ids", "").split(",") if i.isdigit() and len(i) < 19]
    added = _ws(request).show_many(ids[:20])
    draft = pending_text(request.query_params.get("pending"))  # the paste made before signing in
    return _page(request, "home.html", added=added, taxonomy=_ws(request).taxonomy, draft=draft)


@router.post("/notes")
async def add_note(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as FormRefused

    from fieldsignal.ingest import note_from_text

    who, deny = _writer(request, "/")
    limit = request.app.state.settings.max_note_bytes
    try:  # a note may be as large as a file would be, not only the framework's 1 MB per field
        text = str((await request.form(max_part_size=limit + 1)).get("text") or "")
    except FormRefused:
        return _back("/", err=f"that text is larger than {limit / 1e6:g} MB: save it as a file and import it")
    if deny:  # not signed in: the paste waits (in this process, for PENDING_SECONDS) for the sign-in
        return _back(f"/login?pending={_keep_pending(text)}", err="sign in to change anything")
    try:
        note = note_from_text(text, source="web", author=who)
        report = await run_in_threadpool(_ws(request).add_notes, [note])
    except FieldsignalError as exc:
        return _back("/", err=str(exc))
    if report.failures:
        return _back("/", err=report.failures[0].error)
    from urllib.parse import urlencode

    ids = ",".join(str(i) for i in report.signal_ids)
    msg = f"{report.signals_added} signal(s) added" + (f"; {'; '.join(report.warnings)}" if report.warnings else "")
    return RedirectResponse("/?" + urlencode({"ids": ids, "msg": msg}), status_code=303)


@router.post("/files")
async def add_files(request: Request, files: Annotated[list[UploadFile], File()]) -> Response:
    """Dropped files (.txt .md .eml .mbox .csv .jsonl): read like `fieldsignal import`, bad ones reported."""
    who, deny = _writer(request, "/")
    if deny:
        return deny
    items = await read_uploads(files, request.app.state.settings.max_container_bytes)
    items = [i.model_copy(update={"author": i.author or who}) if hasattr(i, "model_copy") else i for i in items]
    report = _ws(request).add_notes(items)
    ids = ",".join(str(i) for i in report.signal_ids[:20])
    msg = f"{report.notes_added} note(s), {report.signals_added} signal(s) added"
    err = "; ".join(f.error for f in report.failures[:3]) or None
    from urllib.parse import urlencode

    return RedirectResponse("/?" + urlencode({"ids": ids, "msg": msg} | ({"err": err} if err else {})), status_code=303)


async def read_uploads(files: list[UploadFile], limit: int) -> list[Any]:
    """Uploaded files as notes or InputErrors, through the same readers as the CLI.

    Each upload is its own temporary file with a name of our making; the name it came with
    is only a label (made safe: no folders, never '', '.' or '..'), so uploads that share a
    name are all read and no name can point anywhere.
    """
    import os
    import tempfile

    from fieldsignal.errors import InputError
    from fieldsignal.ingest import read_one, upload_label

    items: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="fieldsignal-upload-") as tmp:
        for upload in files:
            name = upload_label(upload.filename)
            data = await upload.read(limit + 1)
            if len(data) > limit:
                items.append(InputError(f"{name}: larger than {limit / 1e6:.0f} MB"))
                continue
            handle, path = tempfile.mkstemp(dir=tmp, prefix="upload-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            items += list(read_one(Path(path), label=name))
            os.unlink(path)
    return items


# ---------------------------------------------------------------- review
@router.get("/review", response_class=HTMLResponse)
def review(request: Request) -> HTMLResponse:
    ws = _ws(request)
    queue = [(s, r, ws.show(s.id)["alternatives"]) for s, r in ws.review_queue()]
    questions = {}
    for signal_id, (earlier, probability) in ws.duplicate_questions().items():
        new, old = ws.show(signal_id), ws.show(earlier)
        questions[signal_id] = {
            "probability": probability, "note": new["note"]["text"], "earlier": old["signal"],
            "earlier_note": old["note"]["text"],
        }  # fmt: skip
    return _page(request, "review.html", queue=queue, questions=questions, taxonomy=ws.taxonomy)


@router.post("/review/{signal_id}/accept")
def accept(signal_id: int, request: Request, back: Annotated[str, Form()] = "/review") -> Response:
    who, deny = _writer(request, back)
    if deny:
        return deny
    try:
        _ws(request).review(signal_id, who)
    except FieldsignalError as exc:
        return _back(_safe(back), err=str(exc))
    return _back(_safe(back), msg=f"#{signal_id} accepted")


@router.post("/review/{signal_id}/fix")
def fix(
    signal_id: int,
    request: Request,
    gap: Annotated[str, Form()] = "",
    signal_type: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/review",
) -> Response:
    from fieldsignal.store.review import Fix

    who, deny = _writer(request, back)
    if deny:
        return deny
    try:
        change = Fix.model_validate({"gap": gap or None, "signal_type": signal_type or None})
        _ws(request).review(signal_id, who, change)
    except ValidationError as exc:
        return _back(_safe(back), err=f"not a valid fix: {exc.errors()[0]['msg']}")
    except FieldsignalError as exc:
        return _back(_safe(back), err=str(exc))
    return _back(_safe(back), msg=f"#{signal_id} fixed")


def _safe(path: str) -> str:
    """Only same-site paths as redirect targets."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


# ---------------------------------------------------------------- log
@router.get("/signals", response_class=HTMLResponse)
def signals(request: Request) -> HTMLResponse:
    """The log as an inbox: search, filters, sortable columns, bulk actions (signal_page.bulk)."""
    from fieldsignal.store.signals import SORTS, SignalFilter

    q = request.query_params
    sort = q.get("sort") if q.get("sort") in SORTS else "date"
    choice = {"yes": True, "no": False}
    try:
        f = SignalFilter(
            gap=q.get("gap") or None,
            category=q.get("category") or None,
            signal_type=q.get("type") or None,
            status=q.get("status") or None,
            customer=q.get("customer") or None,
            industry=q.get("industry") or None,
            competitor=q.get("competitor") or None,
            text=q.get("q") or None,
            since=dt.date.fromisoformat(q["since"]) if q.get("since") else None,
            until=dt.date.fromisoformat(q["until"]) if q.get("until") else None,
            lost=choice.get(q.get("lost", "")),
            needs_review=choice.get(q.get("review", "")),
            rejected=bool(q.get("rejected")),
            sort=sort,  # type: ignore[arg-type]
            ascending=q.get("dir") == "asc",
        )
        rows, error = _ws(request).list_signals(f), q.get("err")
    except FieldsignalError as exc:
        rows, error = [], str(exc)
    except ValueError:
        rows, error = [], "dates are written 2026-10-31"
    taxonomy = _ws(request).taxonomy
    here = {k: v for k, v in q.items() if k not in ("sort", "dir", "msg", "err") and v}
    return _page(
        request, "signals.html", rows=rows[:500], total=len(rows), q=q, taxonomy=taxonomy, error=error,
        sort=sort, ascending=q.get("dir") == "asc", here=here,
    )  # fmt: skip


@router.post("/signals/{signal_id}/status")
def status(
    signal_id: int,
    request: Request,
    status: Annotated[str, Form()],
    why: Annotated[str, Form()] = "",
    ticket: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/signals",
) -> Response:
    back = _safe(back)
    who, deny = _writer(request, back)
    if deny:
        return deny
    try:
        _ws(request).set_status(signal_id, status, who, why.strip() or None, ticket.strip() or None)
    except FieldsignalError as exc:
        return _back(back, err=str(exc))
    return _back(back, msg=f"#{signal_id} → {status}")


# ---------------------------------------------------------------- dashboard
@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    ws = _ws(request)
    gaps = sorted((r for r in ws.tally("gap").rows if r.key and r.acv_usd), key=lambda r: -r.acv_usd)[:10]
    rivals = sorted((r for r in ws.tally("competitor").rows if r.key and r.lost_deals), key=lambda r: -r.acv_lost_usd)
    by_category = [r for r in ws.tally("category").rows if r.key]
    metrics = ws.metrics(dt.date.today())
    return _page(
        request,
        "dashboard.html",
        weekly=charts.stacked(ws.weekly_by_category(12), target=10, title="signals per week by category"),
        acv=charts.hbar(
            [(r.key or "", r.acv_usd) for r in gaps],
            money=True,
            title="ACV by gap",
            links=[_log(gap=r.key) if r.key and not r.key.startswith("New gap:") else None for r in gaps],
        ),
        losses=charts.hbar(
            [(r.key or "", r.acv_lost_usd) for r in rivals],
            money=True,
            title="ACV lost by competitor",
            links=[_log(competitor=r.key, lost="yes") for r in rivals],
        ),
        categories=charts.hbar(
            [(r.key or "", r.signals) for r in by_category],
            title="signals by category",
            links=[_log(category=r.key) for r in by_category],
        ),
        metrics=metrics,
    )


def _log(**filters: str | None) -> str:
    """The log filtered so (a chart's bar opens the signals behind it)."""
    from urllib.parse import urlencode

    return "/signals?" + urlencode({k: v for k, v in filters.items() if v})


# ---------------------------------------------------------------- drafts
@router.get("/drafts", response_class=HTMLResponse)
def drafts(request: Request) -> HTMLResponse:
    return _page(request, "drafts.html", drafts=_ws(request).desk.drafts(), today=dt.date.today())


@router.post("/memos")
def memo(request: Request, kind: Annotated[str, Form()], period: Annotated[str, Form()]) -> Response:
    who, deny = _writer(request, "/drafts")
    if deny:
        return deny
    desk = _ws(request).desk
    try:
        draft = desk.draft(kind, period, who, dt.datetime.now().replace(microsecond=0))
    except FieldsignalError as exc:
        return _back("/drafts", err=str(exc))
    warnings = "".join(f"; {w}" for w in desk.warnings)
    return _back(f"/drafts/{draft.id}", msg=f"drafted v{draft.latest.version}{warnings}")


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft(draft_id: int, request: Request) -> Response:
    from markupsafe import Markup

    from fieldsignal.reports.safe_html import markdown_to_safe_html

    try:
        d = _ws(request).desk.get(draft_id)
    except FieldsignalError as exc:
        return _back("/drafts", err=str(exc))
    html = Markup(markdown_to_safe_html(d.latest.body, signal_links=""))  # each cited #id opens its signal
    return _page(request, "draft.html", d=d, html=html)


@router.post("/drafts/{draft_id}/{action}")
def draft_action(draft_id: int, action: str, request: Request, body: Annotated[str, Form()] = "") -> Response:
    who, deny = _writer(request, f"/drafts/{draft_id}")
    if deny:
        return deny
    desk, now = _ws(request).desk, dt.datetime.now().replace(microsecond=0)
    try:
        if action == "edit":
            desk.edit(draft_id, body.replace("\r\n", "\n"), who, now)
            msg = "saved as a new version; approve it again to publish"
        elif action == "approve":
            msg = f"approved v{desk.approve(draft_id, who, now).approved_version}"
        elif action == "publish":
            _, paths = desk.publish(draft_id, now)
            msg = "published: " + ", ".join(p.name for p in paths)
        else:
            return _back(f"/drafts/{draft_id}", err=f"unknown action {action}")
    except FieldsignalError as exc:
        return _back(f"/drafts/{draft_id}", err=str(exc))
    return _back(f"/drafts/{draft_id}", msg=msg)


# ---------------------------------------------------------------- ask
@router.get("/ask", response_class=HTMLResponse)
def ask(request: Request) -> HTMLResponse:
    question = request.query_params.get("q", "").strip()
    answer, error = None, None
    if question:
        try:
            answer = _ws(request).ask(question)
        except FieldsignalError as exc:
            error = str(exc)
    return _page(request, "ask.html", question=question, answer=answer, ask_error=error)


# ---------------------------------------------------------------- sign in
PENDING_SECONDS = 900
_PENDING: dict[str, tuple[float, str]] = {}  # key -> (when, a paste made before signing in)


def _keep_pending(text: str) -> str:
    import secrets
    import time

    now = time.monotonic()
    for key in [k for k, (at, _) in _PENDING.items() if now - at > PENDING_SECONDS]:
        del _PENDING[key]
    key = secrets.token_urlsafe(12)
    _PENDING[key] = (now, text)
    return key


def pending_text(key: str | None) -> str:
    """A paste kept while its author signed in ("" when there is none, or it is too old)."""
    import time

    found = _PENDING.get(key or "")
    return found[1] if found and time.monotonic() - found[0] <= PENDING_SECONDS else ""


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    pending = request.query_params.get("pending", "")
    return _page(request, "login.html", configured=bool(request.app.state.settings.token), pending=pending)


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    import hmac

    expected = request.app.state.settings.token
    kept = f"&pending={pending}" if pending_text(pending) else ""
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _back(f"/login?{kept.lstrip('&')}" if kept else "/login", err="that token is not right")
    response = _back(f"/?{kept.lstrip('&')}" if kept else "/", msg=f"signed in as {name or 'token'}")
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    response.set_cookie("fieldsignal_user", name or "token", httponly=True, samesite="strict")
    return response

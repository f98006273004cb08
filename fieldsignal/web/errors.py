"""Every failure becomes one clear message: JSON under /api, a page elsewhere; never a traceback.

A `FieldsignalError` is meant for the user as it is (404 for an unknown id, 503 while another
process writes, 400/422 for bad input). A request the framework refuses (a form field too large,
a missing field) says so in a line. Anything else is a bug: it is logged with its traceback on the
server and the client gets a 500 with no detail from inside.
"""

from __future__ import annotations

import logging
from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fieldsignal.errors import FieldsignalError, InputError, NotFoundError, StoreBusyError

log = logging.getLogger("fieldsignal.web")


def status_of(exc: FieldsignalError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StoreBusyError):
        return 503
    return 400 if isinstance(exc, InputError) else 422


def reply(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": message}, status_code=status)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>fieldsignal</title>"
        "<link rel='stylesheet' href='/static/style.css'></head><body><main>"
        f"<p class='error' role='alert'>{escape(message)}</p><p><a href='/'>Back to fieldsignal</a></p>"
        "</main></body></html>"
    )
    return HTMLResponse(page, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(FieldsignalError)
    async def known(request: Request, exc: FieldsignalError) -> Response:
        return reply(request, status_of(exc), str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        if exc.status_code == 400 and "maximum size" in detail.lower():
            detail = "that text is too large to paste: save it as a file and import it"
        response = reply(request, exc.status_code, detail)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": jsonable(exc)}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "the form"
        return reply(request, 422, f"{where}: {first.get('msg', 'not valid')}")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return reply(request, 500, "something went wrong on the server (it is logged); nothing was changed by it")


def jsonable(exc: RequestValidationError) -> list[dict[str, object]]:
    from fastapi.encoders import jsonable_encoder

    return [{k: v for k, v in e.items() if k != "input"} for e in jsonable_encoder(exc.errors())]

"""Who is asking, and may this request change anything.

Reads are open. Writes need an identity:
- inside the Databricks Apps runtime (`settings.databricks_app`, set from the platform's
  `DATABRICKS_APP_NAME`/`DATABRICKS_APP_PORT`), the platform's proxy signs users in and forwards who
  they are (`X-Forwarded-Email`, `X-Forwarded-Preferred-Username`, `X-Forwarded-User`);
- anywhere else those headers are ignored (any caller can send them): the `FIELDSIGNAL_TOKEN` must
  come as `Authorization: Bearer …` or as the `fieldsignal_token` cookie set by the sign-in form.
With neither, writes are refused (fail closed).

Cross-site requests: a state-changing request whose Origin (or, without one, Referer) is another site,
or that the browser marks `Sec-Fetch-Site: cross-site`, is refused whatever credentials it carries;
the cookies are also `SameSite=Strict`.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

COOKIE = "fieldsignal_token"
USER_COOKIE = "fieldsignal_user"
FORWARDED = ("x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-user")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def identity(request: Request) -> str | None:
    """The person behind the request, or None (anonymous)."""
    settings = request.app.state.settings
    if settings.databricks_app:
        for header in FORWARDED:
            value = request.headers.get(header)
            if value and value.strip():
                return _clean(value)
    token = settings.token
    if not token:
        return None
    bearer = request.headers.get("authorization", "")
    offered = bearer[7:].strip() if bearer[:7].lower() == "bearer " else ""
    offered = offered or request.cookies.get(COOKIE) or ""
    if offered and hmac.compare_digest(offered.encode(), token.encode()):
        who = request.headers.get("x-fieldsignal-user") or request.cookies.get(USER_COOKIE) or "token"
        return _clean(who) or "token"
    return None


def _clean(value: str) -> str:
    return "".join(c for c in value.strip() if c.isprintable())[:200]


def require_writer(request: Request) -> str:
    """FastAPI dependency for every write: the writer's name, or 401 with what to do."""
    who = identity(request)
    if who is None:
        if request.app.state.settings.databricks_app:
            detail = "no signed-in user was forwarded by the Databricks Apps proxy"
        elif not request.app.state.settings.token:
            detail = "writes need a signed-in user: set FIELDSIGNAL_TOKEN, or deploy as a Databricks App"
        else:
            detail = "sign in (the token) to change anything"
        raise HTTPException(status_code=401, detail=detail)
    return who


def cross_site(request: Request) -> str | None:
    """Why a state-changing request comes from another site, or None when it does not."""
    if request.method in SAFE_METHODS:
        return None
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return "cross-site request"
    host = (request.headers.get("x-forwarded-host") if request.app.state.settings.databricks_app else None) or (
        request.headers.get("host") or ""
    )
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return None  # no browser sent this (a script or the CLI); credentials still decide
    if source == "null" or urlsplit(source).netloc.lower() != host.lower():
        return "cross-site request"
    return None


class SameOriginWrites(BaseHTTPMiddleware):
    """Refuse state-changing requests that another site's page made a browser send."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        reason = cross_site(request)
        if reason:
            return JSONResponse({"detail": f"refused: {reason}"}, status_code=403)
        return await call_next(request)

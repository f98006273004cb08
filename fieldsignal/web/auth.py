"""Who is asking: a Databricks App's forwarded identity, or the bearer token when served on its own.

Reads are open. Writes need an identity: behind a Databricks App, the proxy forwards the
signed-in user (`X-Forwarded-Email` / `X-Forwarded-Preferred-Username`); served on its own,
the `FIELDSIGNAL_TOKEN` must come as `Authorization: Bearer …` or the `fieldsignal_token`
cookie set by the sign-in form. With no token configured and no proxy, writes are refused.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

COOKIE = "fieldsignal_token"
FORWARDED = ("x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-user")


def identity(request: Request) -> str | None:
    """The person behind the request, or None (anonymous)."""
    for header in FORWARDED:
        value = request.headers.get(header)
        if value and value.strip():
            return value.strip()[:200]
    token = request.app.state.settings.token
    if not token:
        return None
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or request.cookies.get(COOKIE)
    if offered and hmac.compare_digest(offered.encode(), token.encode()):
        who = request.headers.get("x-fieldsignal-user") or request.cookies.get("fieldsignal_user") or "token"
        return who.strip()[:200] or "token"
    return None


def require_writer(request: Request) -> str:
    """FastAPI dependency for every write: the writer's name, or 401 with what to do."""
    who = identity(request)
    if who is None:
        if not request.app.state.settings.token:
            detail = "writes need a signed-in user: set FIELDSIGNAL_TOKEN, or deploy as a Databricks App"
        else:
            detail = "sign in (the token) to change anything"
        raise HTTPException(status_code=401, detail=detail)
    return who

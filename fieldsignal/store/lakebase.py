"""OAuth tokens for Lakebase (Databricks' managed PostgreSQL) as the connection's password.

Inside a Databricks App, `databricks.sdk.WorkspaceClient()` is the app's service principal (from
DATABRICKS_HOST / CLIENT_ID / CLIENT_SECRET); elsewhere, whatever the SDK's unified auth finds. A
token lasts about an hour and is checked only when a connection logs in, so one is minted when a
connection opens and the last one is reused for up to `REUSE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
import uuid

from fieldsignal.errors import FieldsignalError

REUSE_SECONDS = 40 * 60
_LOCK = threading.Lock()
_TOKENS: dict[str, tuple[float, str]] = {}  # instance -> (minted at, token)


def token(instance: str) -> str:
    """A fresh-enough OAuth token for the database instance."""
    with _LOCK:
        minted = _TOKENS.get(instance)
        if minted is not None and time.monotonic() - minted[0] < REUSE_SECONDS:
            return minted[1]
        value = _mint(instance)
        _TOKENS[instance] = (time.monotonic(), value)
        return value


def _mint(instance: str) -> str:
    try:
        from databricks.sdk import WorkspaceClient
    except ImportError:
        raise FieldsignalError("a Lakebase log needs databricks-sdk: pip install databricks-sdk") from None
    try:
        credential = WorkspaceClient().database.generate_database_credential(
            request_id=str(uuid.uuid4()), instance_names=[instance]
        )
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FieldsignalError(f"could not get a Lakebase token for instance {instance!r}: {first}") from None
    if not credential.token:
        raise FieldsignalError(f"Lakebase returned no token for instance {instance!r}")
    return credential.token

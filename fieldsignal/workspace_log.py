"""The log itself (a component of the Workspace facade): which store it is in, its schema, copying it
to another store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.workspace_index import VectorIndex
from fieldsignal.workspace_parts import Parts

if TYPE_CHECKING:
    from fieldsignal.store.copy import TableCopy


class LogAdmin:
    def __init__(self, parts: Parts, index: VectorIndex) -> None:
        self.parts, self.index = parts, index

    def describe_log(self) -> dict[str, Any]:
        """Where the log is and its schema version (migrating it first, as any open does)."""
        from fieldsignal.store.db import schema_version
        from fieldsignal.store.postgres import safe_url
        from fieldsignal.store.signals import signal_count

        ws = self.parts
        where = ws.settings.store
        with ws.store(write=True) as con:
            version, signals = schema_version(con), signal_count(con)
        shown = safe_url(where) if isinstance(where, str) else str(where)
        engine = "postgres" if ws.settings.shared_store else "duckdb"
        return {"engine": engine, "where": shown, "schema_version": version, "signals": signals}

    def copy_log_to(self, target: str, progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
        """Copy this workspace's whole log into another store (a postgresql:// URL, or a DuckDB file)."""
        from fieldsignal.store import open_store
        from fieldsignal.store.copy import copy_log
        from fieldsignal.store.postgres import is_url

        ws = self.parts
        destination: Path | str = target if is_url(target) else Path(target).expanduser()
        if str(destination) == str(ws.settings.store) or (
            isinstance(destination, Path) and destination.resolve() == ws.settings.db_path.resolve()
        ):
            raise FieldsignalError("the target is this workspace's own log: name another database")
        if not is_url(target) and not str(target).endswith(".duckdb"):
            raise FieldsignalError(f"--to takes a postgresql:// URL or a .duckdb file, not {target!r}")
        if not ws.settings.log_exists():
            raise FieldsignalError(f"there is no log to copy yet in {ws.settings.home}")
        self.index.settle()
        timeout = ws.settings.lock_timeout_seconds
        with (
            ws.store() as source,
            open_store(destination, write=True, timeout=timeout, instance=ws.settings.database_instance) as dst,
        ):
            return copy_log(source, dst, progress)

"""DuckDB: the source of truth (notes, signals, status history, review queue)."""

from fieldsignal.store.db import migrate, open_store, transaction

__all__ = ["migrate", "open_store", "transaction"]

"""The workspace's account list (a component of the Workspace facade): names a note's customer is linked to, with the
industry the CRM gives each account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fieldsignal.errors import TaxonomyError
from fieldsignal.workspace_parts import Parts

if TYPE_CHECKING:
    from fieldsignal.ingest.accounts import Account


@dataclass
class AccountsAdded:
    added: int
    listed: int
    industries_changed: int = 0
    unknown_industries: list[str] = field(default_factory=list)  # spellings the taxonomy does not know


class AccountList:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def add_accounts(self, accounts: Sequence[str | Account], source: str) -> AccountsAdded:
        """Add accounts (from a CRM export). Names already listed are kept; an industry the export gives
        replaces the one listed. An industry the taxonomy cannot map (no code or alias spells it) is left
        unset and named in `unknown_industries`."""
        from fieldsignal.store import accounts as store

        ws = self.parts
        pairs: list[tuple[str, str | None]] = []
        unknown: dict[str, None] = {}
        for account in accounts:
            name, written = (account, None) if isinstance(account, str) else account
            code = None
            if written:
                try:
                    code = ws.taxonomy.resolve("industry", written)
                except TaxonomyError:
                    unknown[written] = None
            pairs.append((name, code))
        with ws.store(write=True) as con:
            added, changed = store.add_accounts(con, pairs, source, dt.datetime.now().replace(microsecond=0))
            return AccountsAdded(added, store.account_count(con), changed, list(unknown))

    def accounts(self) -> list[str]:
        return list(self.account_industries(every=True))

    def account_industries(self, every: bool = False) -> dict[str, str | None]:
        """Each listed account's industry (the accounts without one too, with `every`)."""
        from fieldsignal.store import accounts as store

        ws = self.parts
        if not ws.settings.log_exists():
            return {}
        with ws.store() as con:
            return store.account_industries(con, every)

"""The workspace's account list (mixed into Workspace): names a note's customer is linked to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from fieldsignal.workspace import Workspace


class AccountList:
    def add_accounts(self, names: Sequence[str], source: str) -> tuple[int, int]:
        """Add account names (from a CRM export); returns (added, now listed). Names already listed are kept."""
        from fieldsignal.store import accounts

        ws = cast("Workspace", self)
        with ws.store(write=True) as con:
            added = accounts.add_accounts(con, names, source, dt.datetime.now().replace(microsecond=0))
            return added, accounts.account_count(con)

    def accounts(self) -> list[str]:
        from fieldsignal.store import accounts

        ws = cast("Workspace", self)
        if not ws.settings.log_exists():
            return []
        with ws.store() as con:
            return accounts.account_names(con)

"""`fieldsignal serve`: the FastAPI app (pages and JSON API) over one Workspace.

Every request opens its own short DuckDB connection (one at a time in this process, see
store.db), so the CLI can write to the same workspace while the server runs. On start, the
model is loaded and the vector index checked against DuckDB in the background (repaired, or one
warning line); `/healthz` says `ready` once a paste no longer waits for the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fieldsignal import __version__
from fieldsignal.settings import Settings
from fieldsignal.web import api, errors, gap_pages, pages, signal_page
from fieldsignal.web.auth import SameOriginWrites

log = logging.getLogger("fieldsignal.web")
# Between requests the database connection stays open this long (a paste then costs no DuckDB open);
# a CLI process waiting for the file gets it once the server has been idle this long.
LINGER_SECONDS = 1.0
# A review is learnt (the heads refitted: seconds of work) this long after the last one of a burst, on a
# worker thread, so the next paste does not wait for it.
RELEARN_SECONDS = 2.0


def create_app(settings: Settings) -> FastAPI:
    from fieldsignal.workspace import Workspace

    workspace = Workspace(settings, linger=LINGER_SECONDS, index_later=True)

    ready = threading.Event()

    def warm_up() -> None:
        try:
            workspace.warm_up()  # the model at start-up, not at the first paste
        except Exception as exc:  # e.g. no corpus: the first paste says why, the server still serves the log
            log.warning("warning: the triage could not be loaded at start-up (%s)", exc)
        finally:
            ready.set()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        workspace.learn_ahead(RELEARN_SECONDS)
        yield
        workspace.learn_ahead(None)
        from fieldsignal.store.db import close_idle

        workspace.settle_index()  # the last pastes' signals reach the index before the process goes
        close_idle()

    app = FastAPI(
        title="fieldsignal",
        version=__version__,
        description="Field feedback → signals, tallies, memos and answers. The JSON API mirrors the CLI.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.workspace = workspace
    app.add_middleware(SameOriginWrites)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(api.router)
    app.include_router(signal_page.router)  # before pages: /signals/{id} is more specific than its routes
    app.include_router(gap_pages.router)
    app.include_router(pages.router)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str | bool]:
        """Up at once; `ready` once the model is loaded (a paste before then waits for it)."""
        return {"status": "ok", "ready": ready.is_set()}

    return app

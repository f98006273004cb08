"""What the CLI modules share: global options, settings, JSON output, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from fieldsignal.settings import Settings, load_settings

Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Since = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="From this date (YYYY-MM-DD).")]
Until = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Up to this date, inclusive.")]


class State:
    home: Path | None = None
    taxonomy: Path | None = None


state = State()


def settings(**overrides: Any) -> Settings:
    return load_settings(home=state.home, taxonomy=state.taxonomy, **overrides)


def workspace(s: Settings | None = None) -> Any:
    from fieldsignal.workspace import Workspace

    return Workspace(s or settings())


def emit(data: Any) -> None:
    from pydantic import BaseModel

    def default(o: Any) -> Any:
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        if isinstance(o, dt.date | dt.datetime):
            return o.isoformat()
        if isinstance(o, Path):
            return str(o)
        raise TypeError(type(o).__name__)

    sys.stdout.write(json.dumps(data, default=default, indent=2) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    from rich.markup import escape

    from fieldsignal.render import err

    err.print(f"[red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)

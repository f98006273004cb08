"""What the CLI modules share: global options, settings, JSON output, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    embedded: bool = False  # the command works on the workspace's own DuckDB file (demo), whatever the settings


state = State()


def settings(**overrides: Any) -> Settings:
    if state.embedded:
        overrides.setdefault("database_url", "")
    return load_settings(home=state.home, taxonomy=state.taxonomy, **overrides)


class _ToStderr(logging.Handler):
    """The core's warnings (a rebuilt index, a model that could not be read) as bare lines on whatever
    `sys.stderr` is when they are logged: the terminal, or Typer's runner in a test."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def warnings_to_stderr() -> None:
    """Show the `fieldsignal` loggers' warnings on stderr, once a process (without this, only Python's
    last-resort handler did, and only where no other handler was installed)."""
    logger = logging.getLogger("fieldsignal")
    if not any(isinstance(h, _ToStderr) for h in logger.handlers):
        logger.addHandler(_ToStderr(logging.WARNING))


def workspace(s: Settings | None = None, one_shot: bool = False, linger: float = 0.0) -> Any:
    from fieldsignal.workspace import Workspace

    return Workspace(s or settings(), one_shot=one_shot, linger=linger)


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

    from fieldsignal.cli.output import err

    err.print(f"[red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def model_progress(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A spinner while the triage model loads, turned into a progress bar when it has to be built."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from fieldsignal.cli.output import err

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled or not err.is_terminal,  # a log gets the one line below, not a redrawn bar
        transient=True,
    )
    task = bar.add_task("loading the triage model", total=None)
    announced: list[bool] = []

    def say(what: str, done: int, total: int) -> None:
        if not announced and enabled:  # the bar appears only when a build runs
            err.print("building the triage model from the corpus (first use only; cached afterwards)")
            announced.append(True)
        bar.update(task, description=what, completed=done, total=total)

    with bar:
        yield say


Fields = Annotated[
    str | None, typer.Option(help="Other columns added to each note as 'Column: value' (comma-separated, or 'all').")
]


def column_map(
    text: str | None, date: str | None, author: str | None, customer: str | None, source: str | None, fields: str | None
) -> Any:
    """The --*-col options and `--fields "Stage, Amount"` ("all": every column no other option took)."""
    from fieldsignal.ingest.tables import ColumnMap

    names = tuple(n.strip() for n in (fields or "").split(",") if n.strip())
    wanted = ("all",) if [n.lower() for n in names] == ["all"] else names
    return ColumnMap(text=text, date=date, author=author, customer=customer, source=source, fields=wanted)

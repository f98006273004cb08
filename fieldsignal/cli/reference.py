"""The CLI reference (docs/cli.md), generated from each command's `--help`.

`python -m fieldsignal.cli.reference` rewrites docs/cli.md; a test fails when the file and the
commands disagree (a command added, an option renamed, a help text changed), like sqlite-utils' cog check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

from fieldsignal.cli.app import app

WIDTH = 100
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"[\u2500-\u257f]+")  # the frames rich draws around the option tables
DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
HEADER = """# fieldsignal command reference

Generated from each command's `--help` by `python -m fieldsignal.cli.reference` (`make docs`);
`tests/test_docs.py` fails when this file and the commands disagree. The README says what the
commands are for and shows them at work; this file is the complete list of their options.
"""


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, depth first, in the order they are registered (hidden ones left out)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            if not getattr(sub, "hidden", False):
                walk(sub, (*path, name))

    walk(get_command(app), ())
    return paths


def help_text(path: tuple[str, ...]) -> str:
    """The `--help` of one command as a plain-text terminal of WIDTH columns shows it."""
    env = {"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": None, "FORCE_COLOR": None, "NO_COLOR": "1"}
    result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="fieldsignal")
    if result.exit_code != 0:
        raise RuntimeError(f"fieldsignal {' '.join(path)} --help failed: {result.output}")
    lines = [line.rstrip() for line in ANSI.sub("", result.stdout).splitlines()]
    return "\n".join(lines).strip("\n")


def render() -> str:
    parts = [HEADER]
    for path in command_paths():
        title = " ".join(("fieldsignal", *path))
        parts.append(f"## {title}\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(parts)


def words(text: str) -> list[str]:
    """What a reader gets from the reference, without the layout: a new release of Typer or rich that
    wraps or frames the help differently is not a difference; a command, option or help text is."""
    return BOX.sub(" ", text).split()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if words(current) != words(text):
            print(f"{DOC} is out of date: run `python -m fieldsignal.cli.reference`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC} ({len(command_paths())} commands)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

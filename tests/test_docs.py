"""The README documents every command, and its opening commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from fieldsignal.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        names += [name, *(f"{name} {sub}" for sub in subs or [])]
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    missing = [c for c in _commands() if f"fieldsignal {c}" not in README]
    assert not missing, f"README does not document: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", README, re.S)
    assert first_block, "README needs a code block near the top"
    lines = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines() if ln.split("#")[0].strip()]
    assert lines[:2] == ["make demo", "make test"]
    assert README.index(first_block.group(0)) < 1200


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_the_cli_reference_is_generated_from_the_commands() -> None:
    from fieldsignal.cli import reference

    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert reference.words(written) == reference.words(reference.render()), (
        "docs/cli.md is out of date: run `python -m fieldsignal.cli.reference` (make docs)"
    )
    for path in reference.command_paths():
        assert f"## {' '.join(('fieldsignal', *path))}\n" in written


def test_the_reference_check_notices_a_changed_help_text() -> None:
    from fieldsignal.cli import reference

    text = reference.render()
    changed = text.replace("Triage one pasted note into signals.", "Triage one note.", 1)
    assert changed != text
    assert reference.words(changed) != reference.words(text)
    # a different layout of the same words is no difference
    assert reference.words(text.replace("│", " ").replace("  ", "\n")) == reference.words(text)

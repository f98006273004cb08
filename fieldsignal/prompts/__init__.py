"""Prompts and memo templates as versioned files, each declaring its variables.

A prompt file is `<name>.v<version>.md`: a TOML front matter between `+++` lines
(`description`, `variables`, optional `output` = the pydantic model it must yield)
and a Jinja2 body. Rendering checks the variables both ways: a missing one and an
undeclared one are errors, so a template and its caller cannot drift apart silently.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fieldsignal.errors import FieldsignalError

HERE = Path(__file__).parent
_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.md$")


def usd(value: Any) -> str:
    """$1,250,000 for a number; "$0" for none."""
    return f"${int(value or 0):,}"


# The filters every template may use, beside Jinja2's own.
FILTERS = {"usd": usd, "add_hash": lambda value: f"#{value}"}


class PromptError(FieldsignalError):
    """A prompt file is malformed or rendered with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    description: str
    variables: tuple[str, ...]
    body: str
    output: str | None = None

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def render(self, **values: Any) -> str:
        missing = set(self.variables) - set(values)
        extra = set(values) - set(self.variables)
        if missing or extra:
            raise PromptError(f"prompt {self.id}: missing {sorted(missing)}, undeclared {sorted(extra)}")
        from jinja2 import Environment, StrictUndefined

        env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
        env.filters.update(FILTERS)
        return env.from_string(self.body).render(**values)


def parse(path: Path) -> Prompt:
    match = _NAME.match(path.name)
    if not match:
        raise PromptError(f"{path.name}: prompt files are named <name>.v<version>.md")
    text = path.read_text(encoding="utf-8")
    parts = text.split("+++\n", 2)
    if len(parts) != 3 or parts[0].strip():
        raise PromptError(f"{path.name}: expected a TOML front matter between '+++' lines")
    try:
        meta = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path.name}: front matter: {exc}") from None
    variables = meta.get("variables")
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise PromptError(f"{path.name}: front matter needs `variables = [...]`")
    return Prompt(
        match["name"],
        int(match["version"]),
        str(meta.get("description", "")),
        tuple(variables),
        parts[2],
        meta.get("output"),
    )


@cache
def available() -> dict[str, list[Prompt]]:
    found: dict[str, list[Prompt]] = {}
    for path in sorted(HERE.glob("*.md")):
        prompt = parse(path)
        found.setdefault(prompt.name, []).append(prompt)
    for versions in found.values():
        versions.sort(key=lambda p: p.version)
    return found


def load(name: str, version: int | None = None) -> Prompt:
    """The named prompt, latest version unless one is asked for."""
    versions = available().get(name)
    if not versions:
        raise PromptError(f"no prompt named {name!r} (have: {', '.join(sorted(available()))})")
    if version is None:
        return versions[-1]
    for prompt in versions:
        if prompt.version == version:
            return prompt
    raise PromptError(f"prompt {name!r} has no version {version}")

"""Redaction before anything leaves the machine, and restoration of what comes back.

E-mail addresses, phone numbers, people's names (in greetings, sign-offs, the author
field) and, when configured, customer names become placeholders such as `<EMAIL_1>`,
`<PERSON_2>` or `<CUSTOMER_1>`. The mapping stays local; `restore` puts the originals
back into the model's answer. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w$€£])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,5}){1,4}(?![\w%])")
_NAME = r"[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2}"
# the greeting words in any case; the name itself must be capitalised ("Thanks for..." names nobody)
_GREETING = re.compile(
    rf"^[ \t]*(?i:hi|hello|hey|dear|morning|thanks|thank you|cheers)[ ,]+(?P<name>{_NAME})\b(?![ \t]+[a-z])", re.M
)
_SIGN_OFF = re.compile(
    r"^[ \t]*(?i:best(?: regards)?|regards|kind regards|thanks|thank you|cheers|sincerely|br|--|—)[,!.]?[ \t]*\n"
    rf"[ \t]*(?P<name>{_NAME})[ \t]*$",
    re.M,
)
_FROM_LINE = re.compile(rf"^[ \t]*(?i:from|to|cc|sent by)[ \t]*:[ \t]*(?P<name>{_NAME})", re.M)
_NOT_NAMES = frozenset({"team", "all", "everyone", "folks", "there", "guys", "again", "both"})


@dataclass
class Redaction:
    text: str
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original

    def restore(self, value: Any) -> Any:
        """Put the originals back into a string, or into every string of a dict/list."""
        if isinstance(value, str):
            for placeholder, original in self.mapping.items():
                value = value.replace(placeholder, original)
            return value
        if isinstance(value, dict):
            return {k: self.restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        return value


def redact(
    text: str, people: Iterable[str] = (), customers: Iterable[str] = (), redact_customers: bool = True
) -> Redaction:
    """Replace personal data (and customer names, unless told not to) with numbered placeholders."""
    found: dict[str, str] = {}  # original -> placeholder
    counters: dict[str, int] = {}

    def placeholder(kind: str, original: str) -> str:
        if original not in found:
            counters[kind] = counters.get(kind, 0) + 1
            found[original] = f"<{kind}_{counters[kind]}>"
        return found[original]

    text = _EMAIL.sub(lambda m: placeholder("EMAIL", m.group(0)), text)
    text = _PHONE.sub(lambda m: placeholder("PHONE", m.group(0)) if _is_phone(m.group(0)) else m.group(0), text)
    names = {n for n in _names_in(text)} | {p.strip() for p in people if p and p.strip()}
    for name in sorted(names, key=len, reverse=True):
        text = _replace_word(text, name, placeholder("PERSON", name))
        first = name.split()[0]
        if " " in name and len(first) > 2:  # "Dana" alone, after "Dana Whitfield" was seen
            text = _replace_word(text, first, found[name])
    if redact_customers:
        for customer in sorted({c.strip() for c in customers if c and c.strip()}, key=len, reverse=True):
            text = _replace_word(text, customer, placeholder("CUSTOMER", customer), ignore_case=True)
    return Redaction(text=text, mapping={v: k for k, v in found.items()})


def _names_in(text: str) -> set[str]:
    names = set()
    for pattern in (_GREETING, _SIGN_OFF, _FROM_LINE):
        for match in pattern.finditer(text):
            name = match.group("name").strip()
            if name.lower() not in _NOT_NAMES:
                names.add(name)
    return names


def _replace_word(text: str, word: str, replacement: str, ignore_case: bool = False) -> str:
    pattern = re.compile(rf"(?<![\w<]){re.escape(word)}(?![\w>])", re.I if ignore_case else 0)
    return pattern.sub(replacement, text)


_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")


def _is_phone(value: str) -> bool:
    return sum(ch.isdigit() for ch in value) >= 7 and not _DATE.match(value.strip())

"""Redaction before anything leaves the machine, and restoration of what comes back.

Personal data becomes numbered placeholders: `<PERSON_1>`, `<EMAIL_1>`, `<PHONE_1>`, `<IBAN_1>`,
`<ACCOUNT_1>`, `<PASSPORT_1>`, `<ID_1>`, `<CARD_1>`, `<ADDRESS_1>`, `<HANDLE_1>`, `<URL_1>`, `<IP_1>`,
and, when configured, customer names `<CUSTOMER_1>`. The mapping stays local; `restore` puts
the originals back into the model's answer. The same original always gets the same
placeholder, and a person's first or last name alone gets the placeholder of the full name.

What counts as personal data is decided by `fieldsignal.ingest.pii` (Presidio, the spaCy
English model and deterministic rules), imported on the first call only, so commands that
never call an LLM never load it. When it cannot run, `RedactionUnavailable` is raised:
a note is never sent half-redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fieldsignal.ingest.redaction_errors import RedactionUnavailable

_KIND_RANK = ("CUSTOMER", "EMAIL", "IBAN", "CARD", "ACCOUNT", "PASSPORT", "ID", "PHONE", "ADDRESS", "HANDLE", "URL")
_NAME_PART = re.compile(r"[^\W\d_][\w'’-]{2,}")


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


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    original: str  # what the placeholder restores to (a customer's configured spelling, a full name)


def redact(
    text: str, people: Iterable[str] = (), customers: Iterable[str] = (), redact_customers: bool = True
) -> Redaction:
    """Replace personal data (and customer names, unless told not to) with numbered placeholders.

    `people` are names known to be people (the note's author); `customers` are account names.
    """
    customer_names = sorted({c.strip() for c in customers if c and c.strip()}, key=len, reverse=True)
    known_people = sorted({p.strip() for p in people if p and p.strip()}, key=len, reverse=True)
    if not text.strip():
        return Redaction(text=text)
    fixed: list[_Span] = []
    if redact_customers:
        for name in customer_names:
            fixed += [_Span(s, e, "CUSTOMER", name) for s, e in _occurrences(text, name, ignore_case=True)]
    for name in known_people:
        fixed += [_Span(s, e, "PERSON", name) for s, e in _occurrences(text, name)]
    spans = _merge(text, _non_overlapping(fixed), _recognised(text, () if redact_customers else customer_names))
    spans = _with_name_parts(text, spans, customer_names)
    return _apply(text, spans)


def recogniser_load_seconds() -> float | None:
    """Seconds this process spent building the PII recogniser (None before the first redaction)."""
    from fieldsignal.ingest import pii

    return pii.load_seconds


def _recognised(text: str, allow: Iterable[str]) -> list[_Span]:
    try:
        from fieldsignal.ingest import pii  # spaCy and Presidio: loaded here, on the LLM path only
    except ImportError as exc:
        raise RedactionUnavailable(
            f"the PII recogniser is not installed ({exc.name}); personal data cannot be redacted, so nothing is "
            "sent to the LLM (install the project's dependencies, or set llm_use = never)"
        ) from exc
    return [_Span(f.start, f.end, f.kind, text[f.start : f.end]) for f in pii.find(text, allow)]


def _non_overlapping(spans: list[_Span]) -> list[_Span]:
    """Longest first among overlapping fixed spans (customer and author names)."""
    kept: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if not any(k.start < span.end and span.start < k.end for k in kept):
            kept.append(span)
    return kept


def _merge(text: str, fixed: list[_Span], found: list[_Span]) -> list[_Span]:
    """Fixed spans win; overlapping findings become one span covering all of them (nothing half-redacted)."""
    free = [f for f in found if not any(x.start < f.end and f.start < x.end for x in fixed)]
    merged: list[list[_Span]] = []
    for span in sorted(free, key=lambda s: (s.start, -s.end)):
        if merged and span.start < max(s.end for s in merged[-1]):
            merged[-1].append(span)
        else:
            merged.append([span])
    result = list(fixed)
    for group in merged:
        start, end = min(s.start for s in group), max(s.end for s in group)
        widest = max(group, key=lambda s: (s.end - s.start, -_rank(s.kind)))
        kind = widest.kind if widest.end - widest.start == end - start else min(group, key=lambda s: _rank(s.kind)).kind
        result.append(_Span(start, end, kind, text[start:end]))
    return sorted(result, key=lambda s: s.start)


def _rank(kind: str) -> int:
    return _KIND_RANK.index(kind) if kind in _KIND_RANK else len(_KIND_RANK)


def _with_name_parts(text: str, spans: list[_Span], customers: list[str]) -> list[_Span]:
    """Every other mention of a redacted person: the full name, or its first or last name alone."""
    people = {s.original for s in spans if s.kind == "PERSON"}
    full_name: dict[str, set[str]] = {}  # "Marco" -> {"Marco Rossi"}
    for name in people:
        for part in _NAME_PART.findall(name):
            if part != name:
                full_name.setdefault(part, set()).add(name)
    spans = [  # "Hi Marco" found on its own shares the placeholder of the one "Marco Rossi" in the note
        _Span(s.start, s.end, s.kind, next(iter(full_name[s.original])))
        if s.kind == "PERSON" and len(full_name.get(s.original, ())) == 1
        else s
        for s in spans
    ]
    not_names = {c.casefold() for c in customers}
    extra: list[_Span] = []
    for name in sorted(people, key=len, reverse=True):
        parts = [name] + [p for p in _NAME_PART.findall(name) if p != name and p[0].isupper()]
        for part in parts:
            if part.casefold() in not_names:
                continue
            for start, end in _occurrences(text, part):
                taken = spans + extra
                if not any(t.start < end and start < t.end for t in taken):
                    extra.append(_Span(start, end, "PERSON", name))
    return sorted(spans + extra, key=lambda s: s.start)


def _apply(text: str, spans: list[_Span]) -> Redaction:
    found: dict[tuple[str, str], str] = {}  # (kind, original) -> placeholder
    counters: dict[str, int] = {}
    out, at = [], 0
    for span in spans:
        key = (span.kind, span.original)
        if key not in found:
            counters[span.kind] = counters.get(span.kind, 0) + 1
            found[key] = f"<{span.kind}_{counters[span.kind]}>"
        out += [text[at : span.start], found[key]]
        at = span.end
    out.append(text[at:])
    return Redaction(text="".join(out), mapping={v: k[1] for k, v in found.items()})


def _occurrences(text: str, word: str, ignore_case: bool = False) -> list[tuple[int, int]]:
    pattern = re.compile(rf"(?<![\w<]){re.escape(word)}(?![\w>])", re.I if ignore_case else 0)
    return [m.span() for m in pattern.finditer(text)]

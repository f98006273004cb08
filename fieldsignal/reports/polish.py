"""LLM polish of a template draft, accepted only if it invents no figure and no name.

The template draft is the reference: the polished text must carry exactly its numbers
(counts, $ amounts, dates, signal ids) and mention exactly the gap and customer names it
mentions. Anything added or dropped refuses the polish and the template draft stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fieldsignal.agent.triage_assist import NOTE_MARK
from fieldsignal.ingest.redact import RedactionUnavailable, redact
from fieldsignal.llm.provider import ChatModel, ChatReply, LLMUnavailable
from fieldsignal.prompts import load

_NUMBER = re.compile(r"(?<![\w.])\$?\d[\d,]*(?:\.\d+)?%?")


def numbers(text: str) -> set[str]:
    """Numbers as written, without thousands separators or a currency sign ("$1,200" -> "1200")."""
    return {m.group(0).replace(",", "").replace("$", "").rstrip(".") for m in _NUMBER.finditer(text)}


def disagreements(polished: str, reference: str, names: Sequence[str]) -> list[str]:
    """Where the polished text and the reference part: a number or name added, or one dropped."""
    said, data = numbers(polished), numbers(reference)
    problems = [f"number {n} is not in the data" for n in sorted(said - data)]
    problems += [f"figure {n} was dropped" for n in sorted(data - said)]
    for name in names:
        in_polished, in_reference = _mentions(polished, name), _mentions(reference, name)
        if in_polished and not in_reference:
            problems.append(f"{name!r} is not in the data")
        elif in_reference and not in_polished:
            problems.append(f"{name!r} was dropped")
    return problems


def _mentions(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None


def polish(
    chat: ChatModel, kind: str, draft: str, names: Sequence[str], customers: Sequence[str], redact_customers: bool
) -> tuple[str | None, list[str], ChatReply | None]:
    """(polished text or None, problems, the reply for usage accounting)."""
    try:
        redaction = redact(draft, (), customers, redact_customers)
    except RedactionUnavailable as exc:  # fail closed: the template draft stands
        return None, [f"LLM not used ({exc})"], None
    system, _, user = load("memo_polish").render(kind=kind, draft=redaction.text).partition(NOTE_MARK)
    try:
        reply = chat.chat([{"role": "system", "content": system.strip()}, {"role": "user", "content": user}], False)
    except LLMUnavailable as exc:
        return None, [f"LLM unavailable ({exc})"], None
    text = redaction.restore(reply.text.strip())
    if not text:
        return None, ["the LLM returned nothing"], reply
    problems = disagreements(text, draft, names)
    return (None if problems else text + "\n"), problems, reply

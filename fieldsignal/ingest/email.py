"""E-mail (.eml, .mbox) to notes: the newest message's own words, with its sender and date.

Parsing is the standard library's `email` package; HTML bodies go through html2text;
quoted replies and signatures are cut by mail-parser-reply; forwarded-message header
blocks are dropped while the forwarded text is kept.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import mailbox
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

from fieldsignal.errors import InputError
from fieldsignal.ingest.text import DEFAULT_MAX_NOTE, clean, decode, label_text, looks_binary, require_text, unreadable
from fieldsignal.models import NoteInput

_FORWARD_MARK = re.compile(
    r"^-{2,}\s*(?:Forwarded message|Original Message)\s*-{2,}\s*$|^Begin forwarded message:\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^\s*(?:From|Sent|Date|To|Cc|Subject|Reply-To)\s*:.*$", re.IGNORECASE)
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv)\s*:\s*)+", re.IGNORECASE)
_MOBILE_SIG = re.compile(r"^\s*(?:Sent from my \w+.*|Get Outlook for \w+.*)$", re.IGNORECASE | re.MULTILINE)


def read_eml(data: bytes, what: str, max_chars: int = DEFAULT_MAX_NOTE) -> NoteInput:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:
        raise InputError(f"{what}: not a readable e-mail: {exc}") from None
    if not isinstance(message, EmailMessage) or not (message.keys() or message.get_payload()):
        raise InputError(f"{what}: not a readable e-mail")
    return message_to_note(message, what, max_chars, size=len(data))


def read_mbox(path: Path, what: str, max_chars: int = DEFAULT_MAX_NOTE) -> Iterator[NoteInput | InputError]:
    """Every message as a note, or an InputError naming it; each is checked like a .txt file."""
    with path.open("rb") as f:
        head = f.read(5)
    if head != b"From ":
        raise InputError(f"{what}: not an mbox file (it must start with a 'From ' line)")
    box = mailbox.mbox(str(path), factory=None, create=False)
    try:
        for index, key in enumerate(box.iterkeys()):
            where = f"{what} message {index + 1}"
            try:
                raw = box.get_bytes(key)
                message = email.message_from_bytes(raw, policy=email.policy.default)
                yield message_to_note(message, where, max_chars, size=len(raw))
            except InputError as exc:
                yield exc
            except Exception as exc:  # one malformed message never loses the others
                yield InputError(f"{where}: {unreadable(exc)}")
    finally:
        box.close()


def message_to_note(
    message: EmailMessage, what: str, max_chars: int = DEFAULT_MAX_NOTE, size: int | None = None
) -> NoteInput:
    """The message's own words as a note; its size and body pass the same checks as a .txt file."""
    subject = _SUBJECT_PREFIX.sub("", label_text(str(message.get("Subject") or ""))).strip() or None
    body = _body_text(message, what)
    checked = require_text(body if body.strip() else subject or "", what, max_chars, size)
    text = (strip_reply_and_signature(checked) if body.strip() else "") or subject
    if not text:
        raise InputError(f"{what}: e-mail has no text of its own")
    return NoteInput(
        text=text,
        source=f"email: {subject}" if subject else "email",
        author=_sender(message),
        date=_date(message),
        subject=subject,
    )


def _body_text(message: EmailMessage, what: str) -> str:
    """The body as text (HTML converted), not yet cleaned: the checks look at what was sent."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        if message.get_content_maintype() == "text":
            part = message
        else:
            raise InputError(f"{what}: e-mail has no text or HTML body")
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = decode(payload if isinstance(payload, bytes) else b"", what, encoding="latin-1")
    if isinstance(content, bytes):
        content = decode(content, what)
    if part.get_content_subtype() == "html":
        if looks_binary(content):
            raise InputError(f"{what}: looks like binary data, not a note")
        content = html_to_text(content)
    return content


def html_to_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_links = True
    converter.ignore_images = True
    converter.body_width = 0
    return converter.handle(html)


def strip_reply_and_signature(body: str) -> str:
    """The newest message's own words: no quoted history, no signature."""
    own, forwarded = _split_forward(body)
    latest = _latest_reply(own)
    if forwarded:
        fwd = _latest_reply(_drop_header_block(forwarded))
        latest = f"{latest}\n\n{fwd}".strip()
    return clean(_MOBILE_SIG.sub("", latest))


def _split_forward(body: str) -> tuple[str, str]:
    match = _FORWARD_MARK.search(body)
    if not match:
        return body, ""
    return body[: match.start()], body[match.end() :]


def _drop_header_block(text: str) -> str:
    lines = text.strip("\n").split("\n")
    index = 0
    while index < len(lines) and (_HEADER_LINE.match(lines[index]) or not lines[index].strip()):
        index += 1
    return "\n".join(lines[index:])


def _latest_reply(text: str) -> str:
    from mailparser_reply import EmailReplyParser

    if not text.strip():
        return ""
    replies = EmailReplyParser(languages=["en"]).read(text).replies
    if not replies:
        return text
    first = (replies[0].body or "").strip()
    return first or text.strip()


def _sender(message: EmailMessage) -> str | None:
    raw = str(message.get("From") or "")
    name, address = email.utils.parseaddr(raw)
    return label_text(name or address) or None


def _date(message: EmailMessage) -> dt.date | None:
    raw = message.get("Date")
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(raw)).date()
    except (TypeError, ValueError, IndexError):
        return None

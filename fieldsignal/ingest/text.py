"""Turning bytes into note text, with clear errors for what cannot be a note."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from fieldsignal.errors import InputError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_RUN = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def decode(data: bytes, what: str, encoding: str | None = None) -> str:
    """Bytes to str: UTF-8 (with or without BOM), UTF-16 with BOM, or `encoding` if given."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{what}: looks like a binary file, not text")
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(f"{what}: cannot decode as {encoding}: {exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{what}: looks like a binary file, not text") from None
        if "\x00" in text or not _mostly_latin(text):
            raise InputError(f"{what}: looks like a binary file, not text")
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8 or pass --encoding (e.g. cp1252)"
        ) from None


def clean(text: str) -> str:
    """Normalise a note's text: NFC, no control characters, tidy white space."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def require_text(text: str, what: str, max_chars: int) -> str:
    """The cleaned text, or an InputError for empty or oversized input."""
    cleaned = clean(text)
    if not cleaned:
        raise InputError(f"{what}: empty note (nothing but white space)")
    if len(cleaned) > max_chars:
        raise InputError(f"{what}: note is {len(cleaned):,} characters; the limit for one note is {max_chars:,}")
    if _looks_binary(cleaned):
        raise InputError(f"{what}: looks like binary data, not a note")
    return cleaned


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    odd = sum(1 for ch in sample if unicodedata.category(ch) in ("Co", "Cs", "Cn") or ch == "\ufffd")
    return odd > max(8, len(sample) // 20)


def _mostly_latin(text: str) -> bool:
    sample = text[:2000]
    return sum(ch.isascii() for ch in sample) >= len(sample) * 0.5


def content_hash(text: str) -> str:
    """Identity of a note's content: same words and order, whatever the white space or case."""
    canonical = " ".join(clean(text).lower().split())
    return hashlib.sha256(canonical.encode()).hexdigest()

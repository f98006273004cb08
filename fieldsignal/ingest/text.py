"""Turning bytes into note text, with clear errors for what cannot be a note.

`require_text` is the one gate every note passes, whatever it came from (a paste, stdin,
a .txt file, each e-mail message, each CSV/JSONL row): size, binary content, emptiness.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import IO, Any

from fieldsignal.errors import InputError

DEFAULT_MAX_NOTE = 2_000_000  # characters in one note (Settings.max_note_bytes)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_RUN = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LABEL_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# control characters that ordinary text carries: tab, newlines, form feed, and ESC (pasted terminal colours)
_TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1b")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SNIFF = 8192


def decode(data: bytes, what: str, encoding: str | None = None) -> str:
    """A file's bytes to str: UTF-8 (with or without BOM), UTF-16 with BOM, or `encoding` if given."""
    if b"\x00" in data[:_SNIFF] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
        if "\x00" in text or looks_binary(text):
            raise InputError(f"{what}: looks like a binary file, not text")
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if looks_binary(data[:_SNIFF].decode("cp1252", errors="replace")):
            raise InputError(f"{what}: looks like a binary file, not text") from None
        raise InputError(
            f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8 or pass --encoding (e.g. cp1252)"
        ) from None


def decode_guess(data: bytes, what: str) -> str:
    """Bytes of unknown encoding (stdin, a shell argument) to str.

    A byte-order mark decides first; then NUL bytes in the UTF-16 pattern (every other byte)
    mean UTF-16 without a BOM, any other NUL means binary; then UTF-8; then cp1252, which
    decodes any byte. Whatever comes out must read as text, or it is refused as binary.
    """
    binary = InputError(f"{what}: looks like binary data, not text")
    bom, codec = next(((b, c) for b, c in _BOMS if data.startswith(b)), (b"", None))
    if codec is None and b"\x00" in data[:_SNIFF]:
        codec = _utf16_without_bom(data[:_SNIFF])
        if codec is None:
            raise binary
    if codec is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    else:
        try:
            text = data[len(bom) :].decode(codec)
        except UnicodeDecodeError:
            raise binary from None
    if looks_binary(text):
        raise binary
    return text


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when NULs sit on one side of the byte pairs only (mostly-Latin UTF-16)."""
    pairs = len(sample) // 2
    if pairs == 0 or len(sample) % 2:
        return None
    even = sample[0 : 2 * pairs : 2].count(0)
    odd = sample[1 : 2 * pairs : 2].count(0)
    if odd >= pairs * 0.3 and even <= pairs * 0.02:
        return "utf-16-le"
    if even >= pairs * 0.3 and odd <= pairs * 0.02:
        return "utf-16-be"
    return None


def read_stdin(stream: IO[Any], what: str = "stdin", max_chars: int = DEFAULT_MAX_NOTE) -> str:
    """Standard input as text, whatever its encoding; at most what one note may hold."""
    cap = max_chars * 4 + 4  # four bytes a character at most (UTF-8, UTF-32)
    source = getattr(stream, "buffer", stream)
    data = source.read(cap + 1)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > cap:
        raise InputError(f"{what}: more than {cap / 1e6:.1f} MB; the limit for one note is {max_chars:,} characters")
    return decode_guess(data, what)


def clean(text: str) -> str:
    """Normalise a note's text: NFC, no control characters, tidy white space."""
    text = unicodedata.normalize("NFC", _without_surrogates(text)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def require_text(text: str, what: str, max_chars: int, size: int | None = None) -> str:
    """The cleaned text, or an InputError for oversized, binary or empty input.

    `size` is the raw size in bytes of what the text came from (a file, an e-mail message),
    held to the same limit as the text itself.
    """
    if size is not None and size > max_chars:
        raise InputError(f"{what}: {size / 1e6:.1f} MB; the limit for one note is {max_chars / 1e6:.1f} MB")
    text = _without_surrogates(text)
    if looks_binary(text):
        raise InputError(f"{what}: looks like binary data, not a note")
    cleaned = clean(text)
    if not cleaned:
        raise InputError(f"{what}: empty note (nothing but white space)")
    if len(cleaned) > max_chars:
        raise InputError(f"{what}: note is {len(cleaned):,} characters; the limit for one note is {max_chars:,}")
    return cleaned


def looks_binary(text: str) -> bool:
    """More than one character in twenty (and more than two) is a control, unassigned or replacement character."""
    sample = text[:_SNIFF]
    return sum(map(_odd, sample)) > max(2, len(sample) // 20)


def _odd(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    kind = unicodedata.category(ch)
    if kind == "Cn":  # unassigned; emoji newer than this Python's Unicode tables are not binary
        return ord(ch) < 0x10000
    return kind in ("Cc", "Co", "Cs") and ch not in _TEXT_CONTROLS


def label_text(value: str, max_chars: int = 200) -> str:
    """A short field (file name, author, source) safe to store and print: one line, no surrogates."""
    return _LABEL_JUNK.sub(" ", _without_surrogates(value)).strip()[:max_chars]


def shown(path: object) -> str:
    """A path (or any name) for a one-line message: control characters escaped, undecodable bytes decoded."""
    return _LABEL_JUNK.sub(lambda m: m.group().encode("unicode_escape").decode(), _without_surrogates(str(path)))


def _without_surrogates(text: str) -> str:
    """Lone surrogates (undecodable bytes of a file name or argument, '\\ud800' in JSON) as real characters."""
    if not _SURROGATE.search(text):
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def unreadable(exc: BaseException) -> str:
    """One line for a failure no reader foresaw (a parser's recursion, a library's bug on odd input)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "too large to read in memory"
    detail = " ".join(str(exc).split())[:200]
    return f"could not be read ({type(exc).__name__}{': ' + detail if detail else ''})"


def content_hash(text: str) -> str:
    """Identity of a note's content: same words and order, whatever the white space or case."""
    canonical = " ".join(clean(text).lower().split())
    return hashlib.sha256(canonical.encode()).hexdigest()

"""When a triaged field is the labelled one: company names and labels compared as a reviewer would.

Shared by the review gate (which learns when a note is right in every field) and `fieldsignal eval`."""

from __future__ import annotations

import re
from typing import Any

_SUFFIX = re.compile(r"\b(inc|corp|corporation|llc|ltd|plc|gmbh|co|company|group|the)\b\.?", re.I)


def norm_label(value: Any) -> str | None:
    """Case- and separator-insensitive form: `PRODUCT_GAP` = `Product Gap`."""
    if value is None or value == "":
        return None
    return re.sub(r"[\s_\-]+", " ", str(value)).strip().lower()


def norm_name(value: Any) -> str | None:
    """Company names compared without legal suffixes, punctuation or case."""
    if value is None or value == "":
        return None
    text = _SUFFIX.sub(" ", str(value).replace("’", "'")).lower()
    text = re.sub(r"'s\b", "", text)
    return " ".join(re.sub(r"[^\w&]+", " ", text).split()) or None

"""Relative and named periods in a question, resolved against `today` (so answers are reproducible)."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
Span = tuple[dt.date | None, dt.date | None, str]


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def _quarter_span(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start, _ = _month_span(year, 3 * quarter - 2)
    _, end = _month_span(year, 3 * quarter)
    return start, end


def _recent_month(month: int, today: dt.date, year: str | None) -> int:
    """The year of the named month: given, or the latest one not after today."""
    if year:
        return int(year)
    return today.year if month <= today.month else today.year - 1


def find_period(question: str, today: dt.date) -> tuple[Span | None, str]:
    """((since, until, label) or None, the question with the period words removed)."""
    q = question.lower()
    for pattern, resolve in _RULES:
        match = re.search(pattern, q)
        if match:
            since, until = resolve(match, today)
            label = f"{match.group(0).strip()} ({since or '…'} to {until or today})"
            return (since, until, label), q[: match.start()] + " " + q[match.end() :]
    return None, q


def _last_quarter(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return _quarter_span(year, quarter)


def _this_quarter(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    start, _ = _quarter_span(today.year, (today.month - 1) // 3 + 1)
    return start, today


def _named_quarter(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    quarter = int(m.group("q"))
    year = (
        int(m.group("y")) if m.group("y") else (today.year if quarter <= (today.month - 1) // 3 + 1 else today.year - 1)
    )
    return _quarter_span(year, quarter)


def _last_month(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return _month_span(first.year, first.month)


def _this_month(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return today.replace(day=1), today


def _this_week(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return today - dt.timedelta(days=today.weekday()), today


def _last_week(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    start = today - dt.timedelta(days=today.weekday() + 7)
    return start, start + dt.timedelta(days=6)


def _last_n(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    n, unit = int(m.group("n")), m.group("unit")
    days = n * {"day": 1, "week": 7, "month": 30}[unit]
    return today - dt.timedelta(days=days - 1), today


def _since_month(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    month = MONTHS[m.group("m")]
    return dt.date(_recent_month(month, today, m.group("y")), month, 1), None


def _in_month(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    month = MONTHS[m.group("m")]
    return _month_span(_recent_month(month, today, m.group("y")), month)


def _iso_month(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return _month_span(int(m.group("y")), int(m.group("mm")))


def _year(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    year = int(m.group("y"))
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _this_year(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return dt.date(today.year, 1, 1), today


_DAY = r"20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"


def _iso(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 2026-02-30: a day that does not exist is no period
        return dt.date.max


def _between_days(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return _iso(m.group("a")), _iso(m.group("b"))


def _since_day(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return _iso(m.group("a")), None


def _until_day(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return None, _iso(m.group("a"))


def _on_day(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    return _iso(m.group("a")), _iso(m.group("a"))


_RULES = [
    (rf"\b(?:from |between )?(?P<a>{_DAY}) (?:to|and|until|through|-) (?P<b>{_DAY})\b", _between_days),
    (rf"\b(?:since|from|after) (?P<a>{_DAY})\b", _since_day),
    (rf"\b(?:until|till|up to|before|through) (?P<a>{_DAY})\b", _until_day),
    (rf"\b(?:on )?(?P<a>{_DAY})\b", _on_day),
    (r"\b(?:last|previous|past) quarter\b", _last_quarter),
    (r"\b(?:this|current) quarter\b|\bquarter to date\b|\bqtd\b", _this_quarter),
    (r"\b(?:in )?q(?P<q>[1-4])(?:[ -](?P<y>20\d\d))?\b", _named_quarter),
    (r"\b(?:last|previous|past) month\b", _last_month),
    (r"\b(?:this|current) month\b|\bmonth to date\b", _this_month),
    (r"\b(?:this|current) week\b", _this_week),
    (r"\b(?:last|previous|past) week\b", _last_week),
    (r"\b(?:in the )?(?:last|past) (?P<n>\d{1,3}) (?P<unit>day|week|month)s?\b", _last_n),
    (rf"\bsince (?:the start of )?(?P<m>{_MONTH})\b(?: (?P<y>20\d\d))?", _since_month),
    (rf"\b(?:in|during|for|of) (?P<m>{_MONTH})\b(?: (?P<y>20\d\d))?", _in_month),
    (r"\b(?:in|during|for) (?P<y>20\d\d)-(?P<mm>0[1-9]|1[0-2])\b", _iso_month),
    (r"\b(?:this|current) year\b|\bytd\b|\byear to date\b", _this_year),
    (r"\b(?:in|during|for) (?P<y>20\d\d)\b", _year),
]

"""Money in field notes, parsed deterministically: every USD amount with its annual value.

How people write money is a closed grammar, so it is written as rules: "$1.2M", "250k", "USD 160k",
"$ 1.4 MM", "250 grand", "a quarter mil", "eighty thousand", "1,250,000", "600.000 USD". The period
turns an amount into an annual value: after it ("/yr", "a month", "per qtr") or before it ("quarterly
payments of", "ACV:"); a total with a stated term ("$1.2M over 3 years", "TCV 900k, 36 months",
"2-yr deal, 500k") is divided by the term. Amounts in other currencies are left out.

Which amount is the deal's value (not a rival's quote, a credit or a headcount) is not decided here:
the learned scorer in `acv.py` reads the words around each amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
NUMBER_WORDS = {w: i for i, w in enumerate(_SMALL)} | _TENS
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "thousands": 1e3,
    "grand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "mil": 1e6,
    "mill": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_UNIT = r"(?:mm|mn|millions?|mill?|m|thousands?|k|grand|bn|billion|b)"
_USD = r"(?:US\$|USD|\$)"
_OTHER = r"(?:[CA]\$|NZ\$|HK\$|S\$|CAD|AUD|NZD|CHF|JPY|INR|EUR|GBP|€|£|¥|₹)"
_DIGITS = re.compile(
    rf"(?:(?<![\w$])(?P<cur>{_USD}|{_OTHER})\s?|(?<![\w.,$]))"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3}){1,3}(?![\d.,]\d)|\d+(?:\.\d+)?)"
    rf"(?:\s?(?P<unit>{_UNIT}))?(?![\w])"
    r"(?:\s?(?P<cur2>US\$|USD|\$|dollars?|bucks|[CA]\$|CAD|AUD|EUR|euros?|GBP|pounds?|CHF|yen))?",
    re.I,
)
_WORD = rf"(?:a|an|and|of|half|quarter|hundred|{'|'.join(NUMBER_WORDS)})"
_WORDS = re.compile(
    rf"(?<![\w$])(?P<cur>{_USD}\s?)?(?P<words>(?:{_WORD}[\s-]+)*{_WORD})[\s-]+(?P<unit>thousands?|k|grand|millions?|mill?|mm|bn|billion)\b"
    r"(?:\s?(?P<cur2>USD|dollars?|bucks|euros?|pounds?))?",
    re.I,
)
_VAGUE = re.compile(r"\b(?:few|several|couple(?: of)?|some|many|multiple)\s+$", re.I)
_OTHER_AFTER = {"euro", "euros", "pound", "pounds", "cad", "aud", "eur", "gbp", "chf", "yen", "c$", "a$"}

# the period written after an amount (currency words may sit between)
_AFTER = {
    12: re.compile(r"^\s*(?:/\s?mo(?:nth)?\b|(?:per|a|each|every|/)\s*month\b|monthly\b|p/?m\b|pcm\b|mrr\b)", re.I),
    4: re.compile(r"^\s*(?:/\s?q(?:tr|uarter)?\b|(?:per|a|each|every)\s+(?:quarter|qtr)\b|quarterly\b)", re.I),
    1: re.compile(
        r"^\s*(?:/\s?(?:yr|year|y|annum)\b|(?:per|a|each|every|by|/)\s*(?:year|yr|annum)\b|annual(?:ly)?\b|"
        r"yearly\b|p\.?\s?a\b\.?|arr\b|acv\b|annualized\b)",
        re.I,
    ),
}
# the period written before an amount, in the same clause ("quarterly payments of $62,500", "ACV: 300k")
_BEFORE = {
    12: re.compile(r"\b(?:monthly|mrr)\b[^,;.\n]{0,30}$", re.I),
    4: re.compile(r"\bquarterly\b[^,;.\n]{0,30}$", re.I),
    1: re.compile(r"\b(?:annual(?:ly)?|yearly|acv|arr|per year)\b[^,;.\n]{0,30}$", re.I),
}
_TERM = re.compile(
    rf"(?<![\w$.])(?P<n>\d+(?:\.\d+)?|{'|'.join(NUMBER_WORDS)})[\s-]*(?P<unit>years?|yrs?|y|months?|mos?)\b"
    r"(?!\s*(?:ago|old)\b)",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")


@dataclass(frozen=True)
class Amount:
    usd: int  # the annual value
    start: int
    end: int
    marked: bool  # written with a currency or a money unit, not a bare number
    period: str  # "year", "month", "quarter", "term" (a total divided by the term) or "" (as written)


def amounts(text: str) -> list[Amount]:
    """Every USD amount in the text, in order, with its annual value."""
    found = [a for m in _DIGITS.finditer(text) if (a := _from_digits(text, m)) is not None]
    taken = [(a.start, a.end) for a in found]
    for m in _WORDS.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        value = _word_value(m.group("words"))
        vague = _VAGUE.search(text[max(0, m.start() - 12) : m.start()])  # "a few hundred K": no figure
        if value and not vague and not _other_currency(m.group("cur2")):
            found.append(_annual(text, m.start(), m.end(), value * _SCALES[m.group("unit").lower()], True))
    return sorted((a for a in found if 1_000 <= a.usd <= 5e9), key=lambda a: a.start)


_PERIODS = {12: "month", 4: "quarter", 1: "year"}


def _other_currency(word: str | None) -> bool:
    return bool(word) and str(word).lower() in _OTHER_AFTER


def _from_digits(text: str, m: re.Match[str]) -> Amount | None:
    cur, unit, cur2 = m.group("cur"), m.group("unit"), m.group("cur2")
    if (cur and re.fullmatch(_OTHER, cur.strip(), re.I)) or _other_currency(cur2):
        return None
    num = m.group("num")
    if "," in num:
        value = float(num.replace(",", ""))
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", num) and not unit:
        value = float(num.replace(".", ""))  # "600.000 USD": dots group the thousands
    else:
        value = float(num)
    if unit:
        value *= _SCALES[unit.lower()]
    bare = not (cur or unit or cur2)
    if bare and (value < 10_000 or _year_like(num) or text[max(0, m.start() - 1) : m.start()] in ("#", "-", "/")):
        return None  # a bare small number, a year, an id: a count, a date, a ticket
    start = m.start("cur") if cur else m.start("num")
    return _annual(text, start, m.end(), value, bool(cur or unit or cur2))


def _year_like(num: str) -> bool:
    return num.isdigit() and len(num) == 4 and 1900 <= int(num) <= 2100


def _word_value(words: str) -> float:
    """ "forty-four" = 44, "three hundred twenty" = 320, "a hundred" = 100, "half a" = 0.5, "a quarter" = 0.25."""
    current, fraction = 0.0, 1.0
    split = re.split(r"[\s-]+", words.lower())
    seen = split[-1] in ("a", "an")  # "a million"
    for word in split:
        if word in NUMBER_WORDS:
            current += NUMBER_WORDS[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1.0) * 100
            seen = True
        elif word in ("half", "quarter"):
            fraction = 0.5 if word == "half" else 0.25
            seen = True
    return (current or 1.0) * fraction if seen else 0.0  # "a hundred", "half a": the one is implied


def _annual(text: str, start: int, end: int, value: float, marked: bool) -> Amount:
    after = text[end : end + 24]
    after = re.sub(r"^\s*(?:USD|US\$|dollars?)\b", "", after, flags=re.I)
    clause = re.split(r"[,;\n]|(?<=[.!?])\s", text[max(0, start - 40) : start])[-1]
    for times, pattern in _AFTER.items():
        if pattern.match(after):
            return Amount(round(value * times), start, end, marked, _PERIODS[times])
    for times, pattern in _BEFORE.items():
        if pattern.search(clause):
            return Amount(round(value * times), start, end, marked, _PERIODS[times])
    years = _term_years(text, start, end)
    if years and years != 1:
        return Amount(round(value / years), start, end, marked, "term")
    return Amount(round(value), start, end, marked, "")


def _term_years(text: str, start: int, end: int) -> float | None:
    """The contract term stated in the amount's sentence (or record), in years, if any."""
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    lo = max(b for b in bounds if b <= start)
    hi = min(b for b in bounds if b >= end)
    best: tuple[int, float] | None = None
    for m in _TERM.finditer(text, lo, hi):
        if m.start() < end and start < m.end():
            continue
        raw, unit = m.group("n").lower(), m.group("unit").lower()
        number = float(raw) if raw.replace(".", "", 1).isdigit() else float(NUMBER_WORDS.get(raw, 0))
        years = number / 12 if unit.startswith("mo") else number
        if unit.startswith("mo") and number < 12:
            continue  # a pilot or a notice period, not the contract's term
        if 1 <= years <= 10:
            distance = min(abs(m.start() - end), abs(start - m.end()))
            if best is None or distance < best[0]:
                best = (distance, years)
    return best[1] if best else None

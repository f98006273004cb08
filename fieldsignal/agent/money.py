"""ACV from free text: the annual USD value of the Apps deal, or None.

"$1.2M" = 1,200,000; "250k" = 250,000; "USD 160k"; "$85k/yr"; "$1.5M over 3 years"
= 500,000; "$20k/month" = 240,000. Amounts in other currencies are not converted.
Competitor prices, credits, discounts, cloud spend and revenue are not ACV: an
amount whose surroundings say so is passed over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "ten": 10}
_AMOUNT = re.compile(
    r"(?P<cur>USD\s?|US\$\s?|\$\s?|€\s?|£\s?|EUR\s?|GBP\s?)?"
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s?(?P<unit>mm|MM|mn|million|mil|m|M|thousand|k|K|bn|billion|b|B)?(?![\w])"
    r"(?:\s?(?P<cur2>USD|dollars|EUR|euros?|GBP|pounds))?",
)
_UNITS = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_MONTHLY = re.compile(r"^\s*(?:/\s?mo(?:nth)?\b|per month|a month|monthly|pm\b|p/m)", re.I)
_ANNUAL = re.compile(r"^\s*(?:/\s?(?:yr|year|y)\b|per (?:year|annum)|a year|annual(?:ly)?|ARR|ACV|p/a|pa\b)", re.I)
_YEARS_AFTER = re.compile(
    r"^[^.;\n]{0,25}?\b(?:over|across|for)\s+(?P<n>\d+|one|two|three|four|five|six|seven|eight|ten)[\s-]*(?:years?|yrs?)\b"
    r"|^\s*(?:TCV\s*)?(?:,\s*)?(?P<n2>\d+|two|three|four|five)[\s-]*(?:years?|yrs?)\b",
    re.I,
)
_YEARS_BEFORE = re.compile(
    r"\b(?P<n>\d+|two|three|four|five)[\s-]*(?:year|yr)\s+(?:deal|contract|commit\w*|TCV|agreement)\b[^.\n]{0,20}$",
    re.I,
)
_POSITIVE = re.compile(
    r"\b(?:acv|arr|deal|opp(?:ortunit(?:y|ies))?|worth|value[ds]?|contract|at risk|pipeline|expansion|upsell|"
    r"lost|signed|closed|tcv|annual|commit(?:ment)?|po\b|bookings?|renewal|apps? (?:deal|opp)|size[ds]?)\b",
    re.I,
)
_NEGATIVE = re.compile(
    r"\b(?:credits?|discount(?:ed|s)?|spend(?:s|ing)?|spent|quot(?:ed|e|ing)|list price|priced|charg(?:es|ed|ing)|"
    r"revenue|raised|funding|valuation|savings?|saves?|headcount|salary|bill(?:ed|ing)?|invoice|per seat|"
    r"per user|cheaper|costs? (?:them|us|about|around)|fine[ds]?|penalt(?:y|ies)|"
    r"budget for (?:the )?(?:cloud|aws|azure))\b",
    re.I,
)


@dataclass(frozen=True)
class Amount:
    usd: int
    score: float
    start: int


def _window(text: str, start: int, end: int, width: int = 45) -> tuple[str, str]:
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    # stay inside the sentence
    before = re.split(r"[.!?\n;]\s", before)[-1]
    after = re.split(r"[.!?\n;]\s", after)[0]
    return before, after


def _years(text: str, start: int, end: int) -> int:
    after = text[end : end + 40]
    before = text[max(0, start - 40) : start]
    match = _YEARS_AFTER.search(after)
    if match:
        raw = match.group("n") or match.group("n2")
    else:
        match = _YEARS_BEFORE.search(before)
        raw = match.group("n") if match else None
    if not raw:
        return 1
    years = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw.lower(), 1)
    return years if 1 <= years <= 10 else 1


def amounts(text: str, competitors: tuple[str, ...] = ()) -> list[Amount]:
    """Every USD money mention with its annual value and a plausibility score."""
    found: list[Amount] = []
    for match in _AMOUNT.finditer(text):
        cur = (match.group("cur") or "").strip()
        cur2 = (match.group("cur2") or "").lower()
        unit = (match.group("unit") or "").lower()
        if cur in ("€", "£", "EUR", "GBP") or cur2 in ("eur", "euro", "euros", "gbp", "pounds"):
            continue
        if not (cur or unit or cur2):
            continue  # a bare number: users, years, percentages...
        if unit in ("m", "b") and not cur and match.group("unit") in ("m", "b") and not _looks_money(text, match):
            continue  # "5m" as in minutes or metres
        value = float(match.group("num").replace(",", "")) * _UNITS.get(unit, 1.0)
        if value < 1000 or value > 5e9:
            continue
        before, after = _window(text, match.start(), match.end())
        if _MONTHLY.match(text[match.end() : match.end() + 12]):
            value *= 12
        else:
            value /= _years(text, match.start(), match.end())
        score = _score(before, after, text[match.end() : match.end() + 12], competitors)
        found.append(Amount(usd=round(value), score=score, start=match.start()))
    return found


def _looks_money(text: str, match: re.Match[str]) -> bool:
    before, after = _window(text, match.start(), match.end())
    return bool(_POSITIVE.search(before + " " + after))


# "10k req/s", "2k shoppers", "400 users": counts of things, not money
_COUNT_TAIL = re.compile(
    r"^\s*(?:req(?:uest)?s?\b|rps\b|qps\b|/s\b|users?\b|shoppers?\b|people\b|rows?\b|records?\b|files?\b|"
    r"stores?\b|employees?\b|agents?\b|nurses?\b|staff\b|customers?\b|visitors?\b|concurrent\b|sessions?\b|"
    r"events?\b|messages?\b|calls?\b|transactions?\b|tps\b|hits?\b|views?\b|devices?\b|members?\b)",
    re.I,
)
_CLAUSE = re.compile(r",|\bbut\b|\bwhile\b|\bwhereas\b|\bvs\.?|\bversus\b|\(|\)")


def _score(before: str, after: str, tail: str, competitors: tuple[str, ...]) -> float:
    context = f"{before} {after}"
    clause = f"{_CLAUSE.split(before)[-1]} {_CLAUSE.split(after)[0]}"
    score = 0.0
    if _COUNT_TAIL.match(tail):
        return -5.0
    if _POSITIVE.search(context) or _ANNUAL.match(tail):
        score += 1.0
    if _NEGATIVE.search(clause):
        score -= 2.0
    lowered = clause.lower()
    if any(re.search(rf"\b{re.escape(c.lower())}\b", lowered) for c in competitors) and not re.search(
        r"\b(?:lost|went|chose|picked|to)\b", before, re.I
    ):
        score -= 1.5
    return score


def parse_acv(text: str, competitors: tuple[str, ...] = ()) -> int | None:
    """The most plausible ACV in the text, or None."""
    candidates = [a for a in amounts(text, competitors) if a.score >= 0]
    if not candidates:
        return None
    best = max(candidates, key=lambda a: (a.score, -a.start))
    return best.usd

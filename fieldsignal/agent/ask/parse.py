"""The offline question parser: plain English → a `Query`, or None when it does not understand.

Names are matched against the taxonomy (gaps by name, slug and keywords; categories;
industries and their synonyms; competitors and aliases) and against the data (customers,
competitors, authors), exactly or fuzzily. It never guesses a shape it does not know.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fieldsignal.agent.ask.periods import find_period
from fieldsignal.agent.ask.query import Filters, GroupBy, Measure, Query
from fieldsignal.taxonomy import Taxonomy

INDUSTRY_WORDS = {
    "FSI": r"fsi|financial services?|financials?|banks?|banking|insurers?|insurance|payments?|fintech",
    "HLS": r"hls|health ?care|health|hospitals?|pharma\w*|life sciences?|providers?",
    "Retail": r"retail(?:ers?)?|grocer(?:s|y|ies)?|stores?|cpg",
    "MFG": r"mfg|manufactur\w+|industrial|factor(?:y|ies)",
    "DN": r"dn|digital natives?|startups?|tech companies",
}
TYPE_WORDS = {
    "Win": r"wins?|won|signed|closed[- ]won",
    "Competitive": r"competitive(?: signals?)?",
    "Opportunity": r"opportunit(?:y|ies)|opps?|pipeline",
}
STATUS_WORDS = {
    "Escalated": r"escalated",
    "Roadmap": r"on the roadmap|roadmap(?:ped)?",
    "Shipped": r"shipped",
    "Won't Fix": r"won'?t fix",
    "Acknowledged": r"acknowledged",
    "Enriched": r"enriched",
}
GROUP_WORDS: dict[GroupBy, str] = {
    "gap": r"gaps?|blockers?|issues?|problems?",
    "category": r"categor(?:y|ies)",
    "industry": r"industr(?:y|ies)|verticals?|sectors?",
    "competitor": r"competitors?|rivals?",
    "customer": r"customers?|accounts?",
    "signal_type": r"(?:signal )?types?",
    "status": r"status(?:es)?",
}
_LOST = re.compile(
    r"\b(?:lost|lose|losing|losses|loss|closed[- ]lost|churn\w*|took\b.*\bfrom us|beat us|won (?:against|over) us)\b"
)


@dataclass
class Vocabulary:
    taxonomy: Taxonomy
    customers: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)

    def gap_phrases(self) -> list[tuple[str, str]]:
        """Phrases naming each gap: its name, slug and keywords, and the name's core ("No GPU config" → "gpu")."""
        out = []
        for g in self.taxonomy.gaps:
            for phrase in (g.name, g.slug.replace("-", " "), _core(g.name), *g.keywords):
                phrase = re.sub(r"^no ", "", phrase.lower().replace("-", " ")).strip()
                if len(phrase) >= 3 and not phrase.startswith("/"):
                    out.append((phrase, g.slug))
        return sorted(out, key=lambda p: -len(p[0]))

    def competitor_names(self) -> dict[str, str]:
        names = {c.lower(): c for c in self.competitors}
        for c in self.taxonomy.competitors:
            for alias in (c.name, *c.aliases):
                names[alias.lower()] = c.name
        return names


_HEDGES = re.compile(r"^(?:no|missing|lack of|complex|fixed|limited)\s+|\s+(?:only|unclear|config|support|missing)$")


def _core(name: str) -> str:
    """A gap name without its hedges: "No GPU config" → "GPU", "Lakebase only" → "Lakebase"."""
    core = name.lower()
    for _ in range(2):
        core = _HEDGES.sub("", core).strip()
    return core if core != name.lower() and len(core) >= 3 else ""


def parse(question: str, vocab: Vocabulary, today: dt.date) -> Query | None:
    text = " " + re.sub(r"[?!.,;:]+", " ", question.lower().replace("’", "'")) + " "
    span, text = find_period(text, today)
    filters = Filters(since=span[0] if span else None, until=span[1] if span else None)
    text = _names(text, vocab, filters)
    query = _shape(text, filters)
    if query is None:
        return None
    return query.model_copy(update={"period_label": span[2] if span else None})


def _take(text: str, pattern: str) -> tuple[bool, str]:
    match = re.search(rf"(?<![\w-])(?:{pattern})(?![\w-])", text)
    if not match:
        return False, text
    return True, text[: match.start()] + " · " + text[match.end() :]  # a name leaves a mark, not a gap in the words


def _names(text: str, vocab: Vocabulary, f: Filters) -> str:
    """Fill the filters from names in the text; each name found is removed from the text."""
    for phrase, slug in vocab.gap_phrases():
        hit, text = _take(text, re.escape(phrase) + "(?:e?s)?")  # "GPUs", "custom domain"
        if hit and slug not in f.gaps:
            f.gaps.append(slug)
    for category in vocab.taxonomy.category_names:  # "security gaps", "category cost", "in Scaling"
        name = re.escape(category.lower())
        hit, text = _take(
            text,
            rf"{name} (?:gaps?|signals?|categor(?:y|ies)|issues?|blockers?|problems?|reports?)"
            rf"|categor(?:y|ies) (?:of )?{name}|(?<=in ){name}(?= |$)",
        )
        if hit:
            f.categories.append(category)
    for name, canonical in sorted(vocab.competitor_names().items(), key=lambda kv: -len(kv[0])):
        if name not in text:
            continue
        hit, text = _take(text, re.escape(name))
        if hit and canonical not in f.competitors:
            f.competitors.append(canonical)
    text = _customers(text, vocab.customers, f)
    for code, pattern in INDUSTRY_WORDS.items():
        hit, text = _take(text, rf"(?:in |from |at )?(?:{pattern})")
        if hit:
            f.industries.append(code)
    for status, pattern in STATUS_WORDS.items():
        hit, text = _take(text, pattern)
        if hit:
            f.statuses.append(status)
    for author in vocab.authors:
        if author.lower() not in text:
            continue
        hit, text = _take(text, rf"(?:from|by|reported by|author) {re.escape(author.lower())}")
        if hit:
            f.authors.append(author)
    return text


def _customers(text: str, customers: Iterable[str], f: Filters) -> str:
    known = sorted({c for c in customers if c}, key=len, reverse=True)
    for name in known:
        if name.lower() not in text:  # a cheap test first: logs hold thousands of customers
            continue
        hit, text = _take(text, re.escape(name.lower()) + r"(?:'s)?")
        if hit:
            f.customers.append(name)
    if f.customers:
        return text
    first_words: dict[str, list[str]] = {}
    for name in known:
        first_words.setdefault(name.split()[0].lower(), []).append(name)
    for word in re.findall(r"[a-z][\w&'-]{3,}", text):
        matches = first_words.get(word) or first_words.get(
            next(iter(difflib.get_close_matches(word, list(first_words), n=1, cutoff=0.85)), ""), []
        )
        if len(matches) == 1 and word not in _COMMON:
            f.customers.append(matches[0])
            _, text = _take(text, re.escape(word) + r"(?:'s)?")
            break
    return text


_COMMON = frozenset(
    re.findall(
        r"\w+",
        "which what many much most deals signals customers accounts blocked blocking gaps gap list show total "
        "count number lost from with where when have there their about apps app that this those these week month "
        "quarter year top rank ranking trend over each give tell does were",
    )
)


def _shape(text: str, f: Filters) -> Query | None:
    lost = bool(_LOST.search(text))
    if lost:
        f.lost = True
    for kind, pattern in TYPE_WORDS.items():
        hit, text = _take(text, pattern)
        if hit:
            f.signal_types.append(kind)
    measure = _measure(text, lost)
    group = _group(text)
    top = re.search(r"\btop (\d{1,2}|three|five|ten)\b", text)
    limit = {"three": 3, "five": 5, "ten": 10}.get(top.group(1)) if top else None
    if top and limit is None:
        limit = int(top.group(1))
    if re.search(r"\b(?:trend|over time|month over month|per month|by month|each month|monthly)\b", text):
        return Query(shape="trend", measure=measure or "signals", group_by="month", filters=f)
    if re.search(r"\b(?:per week|by week|each week|weekly)\b", text):
        return Query(shape="trend", measure=measure or "signals", group_by="week", filters=f)
    single = re.search(r"\b(?:which|what)\b.*\b(?:most|biggest|largest|highest|top)\b", text)
    words = GROUP_WORDS[group] if group else "-"
    by_group = rf"\b(?:by|per|for each|across|breakdown of|split by)\s+(?:the\s+)?(?:{words})\b|\brank\w*\b"
    grouped = group and re.search(by_group, text)
    if group and (top or single or grouped):
        if group == "customer" and not (top or single) and measure is None:
            return Query(shape="list_customers", filters=f)
        return Query(
            shape="ranking",
            measure=measure or "signals",
            group_by=group,
            limit=limit or (1 if single else None),
            filters=f,
        )
    if re.search(r"\b(?:which|what|list|show|who|name)\b.*\b(?:customers?|accounts?)\b|\bwho\b", text):
        return Query(shape="list_customers", filters=f)
    if re.search(r"\b(?:which|what|list|show)\b.*\bdeals?\b", text):
        return Query(shape="list_deals", filters=f)
    if group and re.search(r"\b(?:which|what|list|show)\b", text):
        return Query(shape="ranking", measure=measure or "signals", group_by=group, filters=f)
    if measure is not None:
        return Query(shape="value", measure=measure, filters=f)
    if re.search(r"\b(?:list|show)\b.*\bsignals?\b", text):
        return Query(shape="list_signals", filters=f)
    return None


def _measure(text: str, lost: bool) -> Measure | None:
    money = re.search(r"\b(?:acv|revenue|money|dollars?|\$|value|arr|cost)\b", text)
    if money:
        if re.search(r"\bat risk\b", text):
            return "acv_at_risk"
        if lost or re.search(r"\bcost\b", text):
            return "acv_lost"
        return "acv"
    if re.search(r"\b(?:how many|number of|count)\b", text):
        if re.search(r"\b(?:customers?|accounts?)\b", text):
            return "customers"
        if re.search(r"\bdeals?\b", text) or lost:
            return "lost_deals" if lost else "deals"
        return "signals"
    if re.search(r"\bmost (?:signals|reports|mentions)\b|\bmost often\b|\bmost reported\b", text):
        return "signals"
    return None


def _group(text: str) -> GroupBy | None:
    for group, pattern in GROUP_WORDS.items():
        if re.search(rf"\b(?:{pattern})\b", text):
            return group
    return None

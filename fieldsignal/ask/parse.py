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
from pathlib import Path

from fieldsignal.ask.periods import find_period
from fieldsignal.models import Filters, GroupBy, Measure, Query
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
    "Product Gap": r"product gaps?(?= signals?| reports?)",
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
        """Phrases naming each gap: its name, slug and aliases, and the name's core ("No GPU config" → "gpu")."""
        out = []
        for g in self.taxonomy.gaps:
            for phrase in (g.name, g.slug.replace("-", " "), _core(g.name), *g.aliases):
                phrase = re.sub(r"^no ", "", phrase.lower().replace("-", " ")).strip()
                if len(phrase) >= 3:
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
    return understand(question, vocab, today)[0]


def understand(question: str, vocab: Vocabulary, today: dt.date) -> tuple[Query | None, list[str]]:
    """(the query, or None when the shape is not known; the words it could not place).

    A word is placed when it names something (a gap, category, industry, customer, competitor,
    author, status, type or period, each taken out of the text as it is found), is a word of the
    question grammar (measures, groupings, ranking, lists), or carries no meaning of its own
    (English function words). Any other word might change the question, so an answer that ignored
    it would be a guess: the caller gives no figure."""
    text = question.lower().replace("’", "'").replace("#", " number of ")
    text = " " + re.sub(r"[?!.,;:()\"]+|(?<=[a-z])-(?=[a-z])", " ", text) + " "  # "per-industry" = "per industry"
    for phrase, meaning in sorted(vocab.taxonomy.ask_synonyms.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])", f" {meaning.lower()} ", text)
    span, text = find_period(text, today)
    filters = Filters(since=span[0] if span else None, until=span[1] if span else None)
    text = _names(text, vocab, filters)
    unknown = [w for w in unplaced(text) if w not in _named_words(filters, vocab)]
    query = _shape(text, filters)
    if query is None:
        return None, unknown
    return query.model_copy(update={"period_label": span[2] if span else None}), unknown


def _named_words(f: Filters, vocab: Vocabulary) -> set[str]:
    """The words of the names of what the question already names ("sessions" once a gap called
    "No user sessions" is found): they add nothing, so they are placed."""
    names: list[str] = [*f.customers, *f.competitors, *f.authors, *f.categories]
    for slug in f.gaps:
        gap = vocab.taxonomy.gap_by_slug.get(slug)
        if gap is not None:
            names += [gap.name, gap.slug.replace("-", " "), *gap.aliases]
    return {w for name in names for w in re.findall(r"[a-z][a-z'&]*", name.lower())}


def unplaced(text: str) -> list[str]:
    """The words of `text` (names and periods already taken out) that the grammar cannot place."""
    out = []
    # a number the grammar did not read ("top 3" and periods are read) might be a date or an amount
    for number in re.findall(r"(?<!top )(?<![\w.])\d[\d,.:/-]*", text):
        out.append(number)
    for word in re.findall(r"[a-z][a-z'&]*", text):
        bare = word.removesuffix("'s")
        if bare in _PLACED or any(p.fullmatch(bare) for p in _GRAMMAR):
            continue
        if word not in out:
            out.append(word)
    return out


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
    if not f.gaps:  # "custm domains", "firewal": the closest phrase, if close enough
        text = _fuzzy(text, vocab.gap_phrases(), f.gaps)
    for category in vocab.taxonomy.category_names:  # "security gaps", "category cost", "in Scaling", "about scaling"
        name = re.escape(category.lower())
        pattern = (
            rf"{name} (?:gaps?|signals?|categor(?:y|ies)|issues?|blockers?|problems?|reports?)"
            rf"|categor(?:y|ies) (?:of )?{name}|(?<=in ){name}(?= |$)"
        )
        if not any(p.fullmatch(category.lower()) for p in _GRAMMAR):  # "cost" alone is a figure, not Cost
            pattern += f"|{name}"
        hit, text = _take(text, pattern)
        if hit:
            f.categories.append(category)
    rivals = sorted(vocab.competitor_names().items(), key=lambda kv: -len(kv[0]))
    for name, canonical in rivals:
        if name not in text:
            continue
        hit, text = _take(text, re.escape(name))
        if hit and canonical not in f.competitors:
            f.competitors.append(canonical)
    if not f.competitors:
        text = _fuzzy(text, rivals, f.competitors)
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
        name = re.escape(author.lower())
        hit, text = _take(
            text,
            rf"(?:from|by|reported by|author) {name}|{name}(?='s| (?:{_AUTHORED}))",
        )
        if hit:
            f.authors.append(author)
    return text


def _fuzzy(text: str, phrases: list[tuple[str, str]], found: list[str]) -> str:
    """The phrase closest to a run of words in the text (each word at least 0.8 alike, 5+ letters in all)."""
    words = text.split()
    best: tuple[float, str, str, list[str]] | None = None
    for phrase, value in phrases:
        parts = phrase.split()
        if len(phrase) < 5 or not parts:
            continue
        for i in range(len(words) - len(parts) + 1):
            window = words[i : i + len(parts)]
            if any(w in _WORDS and w != p for w, p in zip(window, parts, strict=True)):
                continue
            score = min(difflib.SequenceMatcher(None, w, p).ratio() for w, p in zip(window, parts, strict=True))
            if score >= 0.8 and (best is None or score > best[0]):
                best = (score, phrase, value, window)
    if best is None:
        return text
    found.append(best[2])
    _, text = _take(text, r"\s+".join(re.escape(w) for w in best[3]))
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
        if word in _COMMON:
            continue
        matches = first_words.get(word)
        if not matches and len(word) >= 5 and word not in _WORDS:
            close = difflib.get_close_matches(word, list(first_words), n=1, cutoff=0.85)
            matches = first_words.get(close[0]) if close else None
        if matches and len(matches) == 1:
            f.customers.append(matches[0])
            _, text = _take(text, re.escape(word) + r"(?:'s)?")
            break
    return text


_AUTHORED = "logged|reported|filed|sent|captured|raised|wrote|added"
_WORDS = frozenset(
    w
    for path in (Path(__file__).parent / "words.txt", Path(__file__).parent / "not_names.txt")
    for line in path.read_text(encoding="utf-8").splitlines()
    for w in line.split("#")[0].split()
)
_COMMON = frozenset(
    re.findall(
        r"\w+",
        "which what many much most deals signals customers accounts blocked blocking gaps gap list show total "
        "count number lost from with where when have there their about apps app that this those these week month "
        "quarter year top rank ranking trend over each give tell does were",
    )
)


# Words of the question grammar (what `_shape`, `_measure` and `_group` read), and words that carry
# nothing a query could filter on (the product the whole log is about; English function words).
_GRAMMAR = [
    re.compile(p)
    for p in (
        *TYPE_WORDS.values(), *STATUS_WORDS.values(), *GROUP_WORDS.values(), *INDUSTRY_WORDS.values(),
        _LOST.pattern.replace("\\b", ""),
        r"acv|revenue|money|dollars?|value|arr|cost|costs|costing|risk|deals?|signals?|mentions?|reports?|reported",
        r"trends?|time|monthly|weekly|month|week|each|per|across|breakdown|split|rank\w*|top|most|least|biggest"
        r"|largest|highest|hardest|worst|often|three|five|ten|one|two|list|show|name|names|count|number|total|sum"
        r"|how|many|much|which|what|who|whom|whose|blocked|blocking|blocks|block|blockers?|impact\w*|affected"
        r"|stopping|stops|holding|holds|held"
        r"|affecting|hit|hurt|mentioned|raised|asked|asking|want\w*|need\w*|requested|missing|gaps?|we|us|our"
        r"|did|do|does|have|has|had|got|get|are|is|was|were|be|been|it|there|any|all|so|far|ever|currently|now"
        r"|against|over|vs|versus|to|from|by|for|in|on|at|of|about|with|the|a|an|and|or|give|tell|me|please",
        r"apps?|adoption|product|platform|databricks|field|feedback|notes?|log|data|overall|altogether|in total",
        # verbs that set or read a status, requests and complaints, and the field's abbreviations
        r"mark(?:ed)?|set|moved?|put|flagged|took|taken|take|asks?|requests?|requested|complaints?|complained"
        r"|accts?|accs?|custs?|opps?|orgs?|companies|company|clients?|logos?|deals?",
    )
]  # fmt: skip


def _placed_words() -> frozenset[str]:
    path = Path(__file__).parent / "function_words.txt"
    words = {w for line in path.read_text(encoding="utf-8").splitlines() for w in line.split("#")[0].split()}
    return frozenset(words) | _WORDS | _COMMON | {"·"}


_PLACED = _placed_words()


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
    top = re.search(r"\btop(?: (\d{1,2}|three|five|ten))?\b", text)  # "top blockers": all of them, ranked
    limit = {"three": 3, "five": 5, "ten": 10}.get(top.group(1) or "") if top else None
    if top and top.group(1) and limit is None:
        limit = int(top.group(1))
    if re.search(r"\b(?:trend|over time|month over month|per month|by month|each month|monthly)\b", text):
        return Query(shape="trend", measure=measure or "signals", group_by="month", filters=f)
    if re.search(r"\b(?:per week|by week|each week|weekly)\b", text):
        return Query(shape="trend", measure=measure or "signals", group_by="week", filters=f)
    single = re.search(r"\b(?:which|what|who)\b.*\b(?:most|biggest|largest|highest|top|hardest|worst)\b", text)
    words = GROUP_WORDS[group] if group else "-"
    by_group = rf"\b(?:by|per|for each|across|breakdown of|split by)\s+(?:the\s+)?(?:{words})\b|\brank\w*\b"
    grouped = group and re.search(by_group, text)
    whom = group == "competitor" and not f.competitors and re.search(r"\bwho\b", text)  # "who did we lose to?"
    if group and (top or single or grouped or whom):
        if group == "customer" and not (top or single) and measure is None:
            return Query(shape="list_customers", filters=f)
        default: Measure = "lost_deals" if lost else "signals"
        return Query(
            shape="ranking",
            measure=measure or default,
            group_by=group,
            limit=limit or (1 if single else None),
            filters=f,
        )
    if group == "gap" and re.search(r"\b(?:which|what)\b", text):  # "what issues do FSI customers have?"
        return Query(shape="ranking", measure=measure or "signals", group_by="gap", filters=f)
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
    money = re.search(r"\b(?:acv|revenue|money|dollars?|value|arr|cost)\b|\$", text)
    if money:
        if re.search(r"\bat risk\b", text):
            return "acv_at_risk"
        if lost or re.search(r"\bcost\b", text):
            return "acv_lost"
        return "acv"
    by = re.search(
        r"\bby (?:the )?(?:number of )?(lost deals|deals lost|losses|deals|customers|accounts|signals)\b", text
    )
    if by:
        word = by.group(1)
        if word in ("lost deals", "deals lost", "losses"):
            return "lost_deals"
        counted: dict[str, Measure] = {"deals": "deals", "customers": "customers", "accounts": "customers"}
        return counted.get(word, "signals")
    if re.search(r"\b(?:how many|number of|count)\b", text):
        if re.search(r"\b(?:customers?|accounts?)\b", text):
            return "customers"
        if re.search(r"\bdeals?\b", text) or lost:
            return "lost_deals" if lost else "deals"
        return "signals"
    if re.search(r"\bmost (?:signals|reports|mentions)\b|\bmost often\b|\bmost reported\b", text):
        return "lost_deals" if lost else "signals"
    return None


def _group(text: str) -> GroupBy | None:
    """The thing asked about: the group word right after which/what/top N/by/per, else the first one named."""
    if re.search(r"\b(?:who|which \w+|what \w+)\b.*\b(?:lose|lost|losing)(?: \w+)? to\b", text):  # "lose deals to"
        return "competitor"
    if re.search(r"\bwhat(?:'s| is| are)? (?:\w+ )?(?:blocking|blocks|block|stopping|stops|holding)\b", text):
        return "gap"  # "what's blocking FSI customers?", "what is still holding them back": the gaps
    for group, pattern in GROUP_WORDS.items():
        if re.search(
            rf"\b(?:which|what|top (?:\d+|three|five|ten)|by|per|for each|rank)\s+(?:the\s+)?(?:{pattern})\b", text
        ):
            return group
    for group, pattern in GROUP_WORDS.items():
        if re.search(rf"\b(?:{pattern})\b", text):
            return group
    return None

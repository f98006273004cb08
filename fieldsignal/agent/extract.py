"""Deal fields from a note, offline: customer, industry, archetype, competitor, ACV, date.

Everything that names things (competitor aliases, industry and archetype cues) comes
from the taxonomy; this module holds only the general machinery.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fieldsignal.agent.money import parse_acv
from fieldsignal.models import DealFields, NoteInput
from fieldsignal.taxonomy import Taxonomy

_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_FIELD = re.compile(r"(?im)^\s*(?:customer|account|acct|client|cust|company|logo)\s*[:=\-–]\s*(?P<v>[^\n,;(|]+)")
_WORD = r"(?:[A-Z][\w&'.\-]*[\w&]|[A-Z]|[A-Z]{2,}\d*|\d+[A-Z][\w]*)"
_PROPER = re.compile(rf"{_WORD}(?:\s+(?:of|&|and|de|du|the)\s+{_WORD}|\s+{_WORD}){{0,3}}")
_BEFORE = re.compile(
    r"(?:\b(?:at|with|for|from|w/|re:?|@|into|customer|account|client|acct|cust|logo|prospect)\s*[:\-]?\s*|\bthe\s+)$",
    re.I,
)
_AFTER = re.compile(
    r"^(?:'s?\b|’s?\b|\s+(?:team|folks|people|guys|ciso|cto|cio|cdo|cfo|ceo|vp|security|infosec|it|architects?|"
    r"leadership|execs?|procurement|data team|wants?|needs?|signed|went|chose|picked|is|are|was|were|said|"
    r"asked|told|pushed|loves?|came|renewed|has|have|just|will|won't|can't|decided|dropped|killed|selected|"
    r"moved|bought|rejected|account|deal|opp|poc|pilot|use case|came back)\b)",
    re.I,
)
_ORG_WORDS = re.compile(
    r"\b(?:bank|bancorp|insurance|assurance|mutual|health|healthcare|hospital|clinic|medical|pharma|pharmaceuticals|"
    r"therapeutics|bio|biosciences|motors|automotive|foods|grocers?|retail|stores|markets?|group|capital|financial|"
    r"finance|payments|pay|credit union|labs|systems|industries|industrial|energy|logistics|partners|technologies|tech|"
    r"corp|inc|co|ltd|llc|gmbh|plc|holdings|airlines?|telecom|media|games|studios|networks|software|analytics|"
    r"manufacturing|steel|chemicals?|apparel|brands|outfitters|trust|securities|investments|lending|university|"
    r"aerospace|foundry|utilities|airways|shipping|freight|mining|realty|robotics|semiconductors?)\b",
    re.I,
)
_LEAD = re.compile(
    r"^\s*(?:(?:call notes|call|sync|notes?|update|fyi|quick note|spoke|new opp|win!*|closed[- ]won|closed[- ]lost|"
    r"acct|account|customer|re|fw|fwd)\b[!:]*\s*(?:w/|with|[:\-–—])?\s*)?"
    r"(?P<name>[A-Za-z][\w&'.]*(?:[ ][A-Za-z][\w&'.]*){0,3}?)"
    r"(?=[ \t]*(?:[:(\-–—,]|\n|$)|['’]s\b|[ ](?:wants?|needs?|asked|is|are|was|has|have|went|chose|signed|renewed|"
    r"lost|closed|selected|picked|being|also|again|back|exploring|interested|keen|comparing|evaluating|considering|"
    r"leaning|dropped|requested|stores|runs|uploads|sponsor|team|ciso|finance|cfo|security|infosec|it|ops|plant|"
    r"compliance|audit|follow-up|update)\b)",
    re.I,
)
# "nothing blocking", "no blockers yet": the absence of a blocker is not a cue for one
_NEGATED_BLOCKER = re.compile(r"\b(?:no|nothing|not|without|zero|never)\s+(?:\w+\s+)?block\w*", re.I)
# "no go-live", "before it goes live", "won't sign": a cue that did not (yet) happen counts for nothing
_NEGATED_BEFORE = re.compile(
    r"\b(?:no|not|never|won'?t|wouldn'?t|didn'?t|without|before|until|unless|pending|blocks?|blocking|"
    r"holds?|holding|delay(?:s|ed|ing)?|stall(?:s|ed|ing)?)\s+(?:\w+\s+)?$",
    re.I,
)
_STOP = frozenset(
    w
    for line in (Path(__file__).parent / "not_names.txt").read_text(encoding="utf-8").splitlines()
    for w in line.split("#")[0].split()
)


@dataclass(frozen=True)
class Extractor:
    taxonomy: Taxonomy

    @cached_property
    def _competitors(self) -> list[tuple[str, re.Pattern[str], bool]]:
        out = []
        for comp in self.taxonomy.competitors:
            for alias in [comp.name, *comp.aliases]:
                flags = 0 if alias != alias.lower() else re.I
                out.append(
                    (
                        comp.name,
                        re.compile(rf"(?<![\w.@/-]){re.escape(alias)}(?![\w@-]|\.\w)", flags),
                        comp.infrastructure,
                    )
                )
        return out

    @cached_property
    def _type_cues(self) -> dict[str, re.Pattern[str]]:
        cues: dict[str, re.Pattern[str]] = {}
        for t in self.taxonomy.signal_types:
            if t.cues:
                cues[t.name] = re.compile("|".join(f"(?:{c})" for c in t.cues), re.I)
        return cues

    @cached_property
    def _industry(self) -> list[tuple[str, re.Pattern[str]]]:
        return [
            (i.code, re.compile(r"\b(?:" + "|".join(i.cues) + r")\b", re.I)) for i in self.taxonomy.industries if i.cues
        ]

    @cached_property
    def _industry_names(self) -> list[tuple[str, re.Pattern[str]]]:
        return [
            (i.code, re.compile(r"\b(?:" + "|".join(i.name_cues) + r")\b", re.I))
            for i in self.taxonomy.industries
            if i.name_cues
        ]

    def industry(self, customer: str | None, text: str) -> str | None:
        """From the customer's name when it tells (an '... Bank'), else from the note's words."""
        by_name = self._best(self._industry_names, customer) if customer else None
        return by_name or self._best(self._industry, text)

    @cached_property
    def _archetype(self) -> list[tuple[str, re.Pattern[str]]]:
        return [
            (a.name, re.compile(r"\b(?:" + "|".join(a.cues) + r")\b", re.I)) for a in self.taxonomy.archetypes if a.cues
        ]

    @cached_property
    def _alias_words(self) -> frozenset[str]:
        words = {w.lower() for c in self.taxonomy.competitors for a in [c.name, *c.aliases] for w in a.split()}
        return frozenset(words)

    # ------------------------------------------------------------------ fields
    def extract(self, note: NoteInput, known_customers: tuple[str, ...] = ()) -> DealFields:
        text = note.text
        customer = note.customer or self.customer(text, note.subject, note.author, known_customers)
        competitor = self.competitor(text, customer)
        names = tuple(c.name for c in self.taxonomy.competitors) + tuple(
            a for c in self.taxonomy.competitors for a in c.aliases
        )
        return DealFields(
            customer=customer,
            industry=self.industry(customer, f"{note.subject or ''}\n{text}"),  # type: ignore[arg-type]
            archetype=self._best(self._archetype, text),  # type: ignore[arg-type]
            competitor=competitor,
            acv_usd=parse_acv(text, names),
            date=note.date or _date_in(text),
            author=note.author,
        )

    def competitor(self, text: str, customer: str | None = None) -> str | None:
        """The competitor in play, company-level; a cloud that only hosts the customer is none,
        nor is a word of the customer's own name ("Greystone Foundry") or a database ("their Oracle db")."""
        competitive = [p for name, p in self._type_cues.items() if name in ("Loss", "Competitive", "Win")]
        scores: Counter[str] = Counter()
        first: dict[str, int] = {}
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            in_play = any(p.search(sentence) for p in competitive)
            for name, pattern, infrastructure in self._competitors:
                match = pattern.search(sentence)
                if not match or (infrastructure and not in_play) or _not_a_rival(sentence, match, customer):
                    continue
                scores[name] += 2 if in_play else 1
                first.setdefault(name, len(first))
        if not scores:
            return None
        return max(scores, key=lambda n: (scores[n], -first[n]))

    def signal_cues(self, text: str) -> dict[str, int]:
        """How many cue matches each signal type has in the text."""
        text = _NEGATED_BLOCKER.sub(" ", text)
        return {
            name: sum(not _NEGATED_BEFORE.search(text[max(0, m.start() - 24) : m.start()]) for m in p.finditer(text))
            for name, p in self._type_cues.items()
        }

    def customer(
        self, text: str, subject: str | None = None, author: str | None = None, known: tuple[str, ...] = ()
    ) -> str | None:
        field = _FIELD.search(text)
        if field:
            value = _tidy(field.group("v"))
            if value:
                return value
        lowered = text.lower()
        hits = [k for k in known if re.search(rf"\b{re.escape(k.lower())}\b", lowered)]
        if hits:
            return max(hits, key=len)
        name = self._best_proper_noun(text, subject, author)
        return expand_short(name, known) if name else None

    def _best_proper_noun(self, text: str, subject: str | None, author: str | None) -> str | None:
        people = {w.lower() for w in re.findall(r"[A-Za-z]+", author or "")} | _greeted(text)
        scores: dict[str, float] = {}
        lead = self._leading(text, people)
        if lead:
            scores[lead] = 3.0
        for source, weight in ((subject or "", 1.5), (text, 1.0)):
            for match in _PROPER.finditer(source):
                name = _trim(match.group(0), self._alias_words, people)
                if not name:
                    continue
                scores[name] = scores.get(name, 0.0) + weight * self._evidence(source, match, name)
        if not scores:
            return None
        best, score = max(scores.items(), key=lambda kv: (kv[1], len(kv[0])))
        return best if score >= 2 else None

    def _leading(self, text: str, people: set[str]) -> str | None:
        """The name a note opens with ("acme foods: ...", "Acme Foods - ...", "Acme's CISO ...")."""
        match = _LEAD.match(text)
        if not match or re.match(r"\s*(?:fwd?|re)?:?\s*(?:from|by)\b", text, re.I):
            return None
        words = match.group("name").split()
        if words[0][:1].isupper():  # "Acme Bank marketing:" - the name ends where lower case starts
            cut = next((i for i, w in enumerate(words) if w[:1].islower()), len(words))
            words = words[:cut] or words
        phrase = " ".join(words)
        if phrase == phrase.lower():  # "marisco bank appsec -": a lower-case name ends at its last org word
            ends = [m.end() for m in _ORG_WORDS.finditer(phrase)]
            phrase = phrase[: ends[-1]] if ends else phrase
        name = _trim(phrase, self._alias_words, people)
        if not name or name.lower() in _STOP:
            return None
        if name == name.lower():  # typed in lower case: "jasper grocers wants ...", every word a name word
            if any(w in _STOP for w in phrase.lower().split()):
                return None
            name = " ".join(w[:1].upper() + w[1:] for w in name.split())
        return name

    @staticmethod
    def _evidence(source: str, match: re.Match[str], name: str) -> float:
        score = 0.5
        before = source[max(0, match.start() - 14) : match.start()]
        if _BEFORE.search(before):
            score += 1.5
        if _AFTER.match(source[match.end() : match.end() + 20]):
            score += 1.5
        if _ORG_WORDS.search(name):
            score += 2.0
        sentence_start = match.start() == 0 or source[max(0, match.start() - 2) : match.start()].strip() in (
            "",
            ".",
            "!",
            "?",
            ":",
            "-",
        )
        if sentence_start and " " not in name and not _ORG_WORDS.search(name):
            score -= 0.5
        return score

    @staticmethod
    def _best(cues: list[tuple[str, re.Pattern[str]]], text: str) -> str | None:
        counts = [(len(p.findall(text)), -i, name) for i, (name, p) in enumerate(cues)]
        best = max(counts, default=(0, 0, None))
        return best[2] if best[0] > 0 else None


def _trim(phrase: str, alias_words: frozenset[str], people: set[str]) -> str | None:
    words = phrase.replace("’", "'").split()
    while words and (words[0].lower().strip("'s") in _STOP or words[0].lower() in people):
        words.pop(0)
    while words and (words[-1].lower() in _STOP or words[-1].lower() in ("of", "and", "&", "the", "de", "du")):
        words.pop()
    if not words:
        return None
    name = _tidy(" ".join(words))
    if not name or len(name) < 2:
        return None
    lowered = [w.lower() for w in name.split()]
    if all(w in _STOP or w in alias_words or w in people for w in lowered):
        return None
    if len(lowered) == 1 and (lowered[0] in alias_words or lowered[0].isdigit()):
        return None
    return name


_DATA_STORE = re.compile(
    r"^[\s\w/-]{0,12}?\b(?:db|dbs|database|databases|tables?|schema|instance|data ?warehouse)\b", re.I
)


def _not_a_rival(sentence: str, match: re.Match[str], customer: str | None) -> bool:
    """A competitor's name that is part of the customer's name, or names a system the customer runs."""
    if customer and match.group(0).lower() in customer.lower().split():
        return True
    return bool(_DATA_STORE.match(sentence[match.end() : match.end() + 30]))


def expand_short(name: str, known: tuple[str, ...]) -> str:
    """'Oakhurst' for a known 'Oakhurst Retail': the one known customer whose first word it is."""
    if " " in name:
        return name
    matches = [k for k in known if k.split()[0].lower() == name.lower()]
    return matches[0] if len(matches) == 1 else name


def _tidy(value: str) -> str | None:
    value = re.sub(r"['’]s$", "", value.strip().strip(".:;,-–\"'"))
    value = re.sub(r"\s+(?:Inc|Corp|Corporation|LLC|Ltd|PLC|GmbH|S\.A|AG|Co)\.?$", "", value, flags=re.I)
    return value.strip() or None


def _greeted(text: str) -> set[str]:
    names = re.findall(r"(?im)^(?:hi|hey|hello|dear|thanks|cheers|best|regards|thx)[,\s]+([A-Z][a-z]+)", text)
    names += re.findall(r"(?m)^[-–—]\s*([A-Z][a-z]+)\s*$", text)
    return {n.lower() for n in names}


def _date_in(text: str) -> dt.date | None:
    match = _ISO_DATE.search(text)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None

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

from fieldsignal.agent.money import parse_acv
from fieldsignal.models import DealFields, NoteInput
from fieldsignal.taxonomy import Taxonomy

_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_FIELD = re.compile(r"(?im)^\s*(?:customer|account|acct|client|cust|company|logo)\s*[:=\-–]\s*(?P<v>[^\n,;(|]+)")
_WORD = r"(?:[A-Z][\w&'.\-]*[\w&]|[A-Z]|[A-Z]{2,}\d*|\d+[A-Z][\w]*)"
_PROPER = re.compile(rf"{_WORD}(?:\s+(?:of|&|and|de|du|the)\s+{_WORD}|\s+{_WORD}){{0,3}}")
_BEFORE = re.compile(
    r"(?:\b(?:at|with|for|from|w/|re:?|@|into|customer|account|client|acct|cust|logo|prospect)\s*[:\-]?\s*|\bthe\s+)$", re.I
)
_AFTER = re.compile(
    r"^(?:'s?\b|’s?\b|\s+(?:team|folks|people|guys|ciso|cto|cio|cdo|cfo|ceo|vp|security|infosec|it|architects?|"
    r"leadership|execs?|procurement|data team|wants?|needs?|signed|went|chose|picked|is|are|was|were|said|"
    r"asked|told|pushed|loves?|came|renewed|has|have|just|will|won't|can't|decided|dropped|killed|selected|"
    r"moved|bought|rejected|account|deal|opp|poc|pilot|use case|came back)\b)", re.I,
)
_ORG_WORDS = re.compile(
    r"\b(?:bank|bancorp|insurance|assurance|mutual|health|healthcare|hospital|clinic|medical|pharma|pharmaceuticals|"
    r"therapeutics|bio|biosciences|motors|automotive|foods|grocers?|retail|stores|markets?|group|capital|financial|"
    r"finance|payments|pay|credit union|labs|systems|industries|industrial|energy|logistics|partners|technologies|tech|"
    r"corp|inc|co|ltd|llc|gmbh|plc|holdings|airlines?|telecom|media|games|studios|networks|software|analytics|"
    r"manufacturing|steel|chemicals?|apparel|brands|outfitters|trust|securities|investments|lending|university)\b", re.I,
)
_STOP = frozenset(
    """a an the and or but so if then also just fyi fwiw btw imo tbh pls plz thanks thank thx cheers hi hey hello
    dear team all folks quick update note notes call meeting sync recap summary re fw fwd subject from to cc sent date
    i we you he she they it our their my your his her this that these those there here what when where why how who
    yes no ok okay sure maybe agree agreed update next last today yesterday tomorrow week month quarter year
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec q1 q2 q3 q4 h1 h2 fy
    databricks apps app lakebase unity catalog delta lakehouse sql genie mosaic serverless workspace
    sso saml oauth okta entra poc pilot mvp acv arr tcv sa ae csm se fe pm eng vp cto cio ciso cdo cfo ceo it ml ai
    genai llm rag gpu cpu api url urls dns vpc vnet waf ddos cve sbom soc hipaa pci gdpr fedramp sox kyc aml
    ui ux sdk cli k8s kubernetes docker python react flask fastapi streamlit dash gradio shiny node postgres
    postgresql mysql mongodb redis oracle sap crm erp bi etl usd eur gbp us uk eu emea amer apac na latam
    customer customers account client prospect deal opp opportunity signal gap blocker issue ticket
    lost won signed met spoke talked chatted heard looks seems got had went chose picked per via
    speaker transcript attendees action items agenda takeaways context background nb ps cost pricing security
    scaling observability domains database customization new win loss competitive product
    """.split()
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
                out.append((comp.name, re.compile(rf"(?<![\w.@/-]){re.escape(alias)}(?![\w@-]|\.\w)", flags),
                            comp.infrastructure))
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
        return [(i.code, re.compile(r"\b(?:" + "|".join(i.cues) + r")\b", re.I)) for i in self.taxonomy.industries if i.cues]

    @cached_property
    def _archetype(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(a.name, re.compile(r"\b(?:" + "|".join(a.cues) + r")\b", re.I)) for a in self.taxonomy.archetypes if a.cues]

    @cached_property
    def _alias_words(self) -> frozenset[str]:
        words = {w.lower() for c in self.taxonomy.competitors for a in [c.name, *c.aliases] for w in a.split()}
        return frozenset(words)

    # ------------------------------------------------------------------ fields
    def extract(self, note: NoteInput, known_customers: tuple[str, ...] = ()) -> DealFields:
        text = note.text
        competitor = self.competitor(text)
        names = tuple(c.name for c in self.taxonomy.competitors) + tuple(
            a for c in self.taxonomy.competitors for a in c.aliases
        )
        return DealFields(
            customer=note.customer or self.customer(text, note.subject, note.author, known_customers),
            industry=self._best(self._industry, f"{note.subject or ''}\n{text}"),  # type: ignore[arg-type]
            archetype=self._best(self._archetype, text),  # type: ignore[arg-type]
            competitor=competitor,
            acv_usd=parse_acv(text, names),
            date=note.date or _date_in(text),
            author=note.author,
        )

    def competitor(self, text: str) -> str | None:
        """The competitor in play, company-level; a cloud that only hosts the customer is none."""
        competitive = [p for name, p in self._type_cues.items() if name in ("Loss", "Competitive", "Win")]
        scores: Counter[str] = Counter()
        first: dict[str, int] = {}
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            in_play = any(p.search(sentence) for p in competitive)
            for name, pattern, infrastructure in self._competitors:
                match = pattern.search(sentence)
                if not match or (infrastructure and not in_play):
                    continue
                scores[name] += 2 if in_play else 1
                first.setdefault(name, len(first))
        if not scores:
            return None
        return max(scores, key=lambda n: (scores[n], -first[n]))

    def signal_cues(self, text: str) -> dict[str, int]:
        """How many cue matches each signal type has in the text."""
        return {name: len(p.findall(text)) for name, p in self._type_cues.items()}

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
        return self._best_proper_noun(text, subject, author)

    def _best_proper_noun(self, text: str, subject: str | None, author: str | None) -> str | None:
        people = {w.lower() for w in re.findall(r"[A-Za-z]+", author or "")} | _greeted(text)
        scores: Counter[str] = Counter()
        for source, weight in ((subject or "", 1.5), (text, 1.0)):
            for match in _PROPER.finditer(source):
                name = _trim(match.group(0), self._alias_words, people)
                if not name:
                    continue
                scores[name] += weight * self._evidence(source, match, name)
        if not scores:
            return None
        best, score = max(scores.items(), key=lambda kv: (kv[1], len(kv[0])))
        return best if score >= 2 else None

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
        sentence_start = match.start() == 0 or source[max(0, match.start() - 2) : match.start()].strip() in ("", ".", "!", "?", ":", "-")
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

"""Deterministic Presidio recognisers that complement the library's own ones and the NER model.

Each rule needs a cue that makes it unambiguous: a greeting or sign-off before a name, a
title (Dr., Prof., Frau), a signature line ("Name | Job title"), a header ("Cc:", "From:"),
"account"/"passport" before a number, "@" before a chat handle, a street word next to a house
number. Without its cue no rule fires, so product words, money and dates pass untouched.
Imported only on the LLM path (it imports Presidio); the patterns use the `regex` module for
Unicode letter classes (names such as Nguyễn, Søren, Yılmaz).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers.generic.iban_patterns import regex_per_country

# --------------------------------------------------------------------------- names
# a name token: capitalised, then lower-case letters; O'Neill, McKay, Al-Sayed, Dubois-Carpentier
_TOKEN = (
    r"\p{Lu}(?:['’]\p{Lu})?[\p{Ll}\p{M}]+(?:\p{Lu}[\p{Ll}\p{M}]+)?(?:-\p{Lu}?[\p{Ll}\p{M}]+(?:\p{Lu}[\p{Ll}\p{M}]+)?)*"
)
_PARTICLE = r"(?:van|von|de|der|den|del|della|da|das|dos|du|di|la|le|al|el|bin|ibn|ter|ten|zu|af|y)"
_NAME = rf"{_TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?(?:{_TOKEN}|\p{{Lu}}\.)){{0,3}}"
_TITLE = r"(?:Dr|Prof|Mr|Mrs|Ms|Mx|Miss|Herr|Frau|Mme|Mlle|Dott|Sig\.ra|Sig)\.?"
_HELLO = (
    r"hi|hello|hey|hiya|dear|morning|good[ \t]+(?:morning|afternoon|evening|day)|afternoon|evening|"
    r"thanks|thank[ \t]+you|thx|cheers|ciao|hallo|hola|bonjour|salut|hej|grazie|danke|merci|gracias|"
    r"obrigad[oa]|liebe[rs]?|sehr[ \t]+geehrte[rs]?|attn|welcome|congrats|kudos"
)
_BYE = (
    r"best|best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|regards|best[ \t]+wishes|all[ \t]+the[ \t]+best|"
    r"sincerely|yours[ \t]+sincerely|yours[ \t]+truly|yours|many[ \t]+thanks|thanks(?:[ \t]+again)?|thank[ \t]+you|"
    r"thx|cheers|talk[ \t]+soon|speak[ \t]+soon|take[ \t]+care|grazie(?:[ \t]+mille)?|danke|merci|gracias|"
    r"(?:viele|beste|liebe|freundliche)[ \t]+gr(?:ü|ue|u)(?:ß|ss)e|mit[ \t]+freundlichen[ \t]+gr(?:ü|ue|u)(?:ß|ss)en|"
    r"gr(?:ü|ue|u)(?:ß|ss)e|gru(?:ß|ss)|saludos|cordialement|bien[ \t]+à[ \t]+vous|un[ \t]+saluto|mvh|hälsningar"
)
_JOB = (
    r"Account|Exec|Executive|Engineer|Engineering|Architect|Manager|Director|VP|President|Head|Lead|Specialist|"
    r"Consultant|Partner|Founder|Co-founder|CEO|CTO|CIO|CISO|COO|CFO|CDO|Officer|Analyst|Scientist|Developer|"
    r"Representative|Rep|AE|SA|SE|CSM|TAM|PM|Sales|Success|Principal|Senior|Sr|Intern|Advocate|Evangelist"
)
_SIG_SEP = r"[ \t]*(?:\||–|—|-|,|/|·|•)[ \t]*"
_NAMES = [
    # "Hi Maria", "Thanks Maria,", "Good morning Fatima Al-Sayed", "Hallo Herr Müller", anywhere in a line
    rf"(?<![\w@])(?i:{_HELLO})(?:[ \t]+(?i:there|again|so[ \t]+much|very[ \t]+much|a[ \t]+lot))?[ \t]*[,!:]?[ \t]*"
    rf"(?:{_TITLE}[ \t]+)?(?P<v>{_NAME})",
    # "Best,\nMarco Rossi", "Many thanks — Pedro", "Danke und viele Grüße\nKatharina von Stein"
    rf"(?<![\w@])(?i:{_BYE})(?:[ \t]*[,/|–—-]+[ \t]*|[ \t]*[,.!:]?[ \t]*(?=\n))(?:\n[ \t]*){{0,3}}(?:[-–—~]+[ \t]*)?"
    rf"(?:{_TITLE}[ \t]+)?(?P<v>{_NAME})",
    # a dash signature: "— Olu Adeyemi", "-- \nDana Whitfield"
    rf"(?:^|(?<=\s))(?:--|—|–|~)[ \t]*(?:\n[ \t]*)?(?P<v>{_NAME})",
    # titles anywhere: "Dear Dr. Elena Petrova", "their CTO, Dr Samuel Adebayo"
    rf"(?<![\w.])(?:{_TITLE}|(?i:dr|prof)\.)[ \t]+(?P<v>{_NAME})",
    # "Raj Patel | Account Exec", "Joanna Nowak, VP Engineering" at the start of a line
    rf"(?m)^[ \t]*(?P<v>{_NAME}){_SIG_SEP}(?=[^\n]*\b(?:{_JOB})\b)",
    # a line that is only a name, followed by a job-title line
    rf"(?m)^[ \t]*(?P<v>{_NAME})[ \t]*\n[ \t]*(?=[^\n]*\b(?:{_JOB})\b)",
    # headers and lists: "Cc: Lars Eriksson, Ingrid Johansson", "(author: Hannah Becker)"
    rf"(?<![\w])(?i:from|cc|bcc|sent[ \t]+by|author|reported[ \t]+by|owner|contact|attendees|participants|"
    rf"signed|submitted[ \t]+by)[ \t]*:[ \t]*(?P<v>{_NAME})(?:[ \t]*(?:,|;|&|\band\b)[ \t]*(?P<v>{_NAME}))*",
]
# capitalised words that follow a greeting or start a line but are not names
_NOT_NAMES = frozenset(
    str.split(
        """team teams all everyone everybody folks there guys again both sir madam customer customers subject re fwd fw
    the this that these those for and but so it we our your my their he she they you let please just quick update
    recap notes note call meeting today tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday
    morning afternoon evening night week weekend mate people colleagues partners hello hi hey dear thanks cheers best
    regards kind warm sincerely yours sent from iphone android outlook mobile apps app engineering sales support
    product field solutions senior customer success public sector data platform head ok okay yes no great good nice
    hallo hola bonjour salut ciao hej merci danke grazie gracias liebe lieber liebes sehr geehrte geehrter herr frau
    mme mlle dott sig mr mrs ms mx miss dr prof tel fax mob cell phone email e-mail slack web office direct north
    south east west central on in at by to of with as per tue wed thu fri mon"""
    )
)
_JOB_WORDS = frozenset(_JOB.lower().split("|"))


def clean_name(name: str, blocked: Callable[[str], bool]) -> tuple[int, int] | None:
    """Where the name is inside a capture, without the words around it that are not names
    ("Hey", "Team", a job title, a product); None when nothing is left."""
    kept: list[regex.Match[str]] = []
    for word in regex.finditer(r"\S+", name):
        bare = word.group().strip(".,;:!?()")
        if kept and regex.fullmatch(_PARTICLE, bare):
            kept.append(word)  # "Katharina von Stein"
            continue
        if not bare[:1].isupper() or bare.lower() in _NOT_NAMES or bare.lower() in _JOB_WORDS or blocked(bare):
            if kept:
                break
            continue  # "Hey Aleksandr Volkov": skip the greeting word, keep looking
        kept.append(word)
    while kept and regex.fullmatch(rf"{_PARTICLE}|\p{{Lu}}\.", kept[-1].group()):
        kept.pop()  # a trailing particle or initial: "Katharina von", "John F."
    while kept and regex.fullmatch(_PARTICLE, kept[0].group()):
        kept.pop(0)
    return (kept[0].start(), kept[-1].end()) if kept else None


# --------------------------------------------------------------------------- numbers
_NUMBER_CUE = r"(?:[ \t]*[-‐]?[ \t]*(?i:no|nr|num|number|id|#))?\.?[ \t]*(?:[:#=]{1,2}|(?i:is))?[ \t]*"
_ACCOUNTS = [
    rf"(?<![\w])(?i:(?:bank[ \t]+)?account|acct|a/c|acc(?=[ \t.]*(?:no|nr|#))|konto(?:nummer)?|kontonr|"
    rf"routing|aba|sort[ \t]+code|bsb|iban|rib|clabe|conto|cuenta|compte){_NUMBER_CUE}"
    r"(?P<v>(?:[A-Z]{2,4}-?)?\d+(?:[ -]\d+)*[A-Z]?)",
]
_PASSPORTS = [
    rf"(?<![\w])(?i:passport|passeport|pasaporte|passaporto|reisepass|pass-nr){_NUMBER_CUE}"
    r"(?P<v>[A-Z0-9][A-Z0-9-]{4,14})",
]
_IDS = [
    rf"(?<![\w])(?i:ssn|social[ \t]+security|national[ \t]+id|id[ \t]+card|identity[ \t]+card|ausweis(?:nummer)?|"
    rf"personalausweis|driver'?s?[ \t]+licen[cs]e|tax[ \t]+id|nino|national[ \t]+insurance|dni|nie|codice[ \t]+fiscale)"
    rf"{_NUMBER_CUE}(?P<v>[A-Z0-9][A-Z0-9 -]{{4,16}}[A-Z0-9])",
]
_PHONES = [
    r"(?<![\w])(?i:tel|tele?phone|phone|ph|mobile|mob|cell|direct(?:[ \t]+line)?|office|switchboard|whatsapp|fax|"
    r"call(?:[ \t]+me)?(?:[ \t]+(?:at|on))?|reach(?:[ \t]+me)?(?:[ \t]+(?:at|on))?|text(?:[ \t]+me)?|ufficio|"
    r"telefon|téléphone|teléfono|handy|[mtop](?=[ \t]*:))\.?[ \t]*(?:is[ \t]+)?[:.]?[ \t]*"
    r"(?P<v>(?:\+|00)?\(?\d[\d \t().\/-]{5,22}\d)",
]
# --------------------------------------------------------------------------- chat handles
_HANDLES = [
    r"<@[UW][A-Z0-9]{6,12}(?:\|[^>\n]*)?>",  # Slack's own mention markup
    r"(?<![\w.+\-@/])@(?!(?:here|channel|everyone)\b)[A-Za-z0-9][\w.\-]*[A-Za-z0-9_]",
]
# --------------------------------------------------------------------------- street addresses
_EN_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq|Terrace|Parkway|"
    r"Pkwy|Highway|Hwy|Close|Crescent|Row|Quay|Wharf|Gardens|Grove|Mews|Walk|Circle|Plaza|Broadway"
)
_COMPOUND = (
    r"straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee|gracht|kade|laan|straat|plein|singel|"
    r"gatan|gata|vägen|vej|gade|veien"
)
_WORD = r"\p{Lu}[\p{L}\p{M}'’.-]*"
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_UNIT = r"(?:[ \t]*,?[ \t]*(?:Suite|Ste|Apt|Apartment|Unit|Floor|Fl|Level|Room|Rm|Bldg|Building|#)\.?[ \t]*[\w-]+)?"
_POSTCODE = (
    r"\d{5}(?:-\d{4})?|\d{4}(?:[ \t]?[A-Z]{2}\b)?|\d{3}[ \t]\d{2}|\d{2}-\d{3}|[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}|"
    r"[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]\d{2}[ \t]?[A-Z\d]{4}"
)
_PLACE = rf"(?:{_POSTCODE}|[A-Z]{{2,3}}\b|{_WORD}(?:[ \t]+\d{{1,2}}\b)?)"
_TAIL = (
    rf"(?:[ \t]*,?[ \t]*{_PLACE}){{0,6}}"
    rf"(?:[ \t]*,?[ \t]*\n[ \t]*(?=[^\n]*\b(?:{_POSTCODE}))(?:{_PLACE})(?:[ \t]*,?[ \t]*{_PLACE}){{0,5}})?"
)
_ADDRESSES = [
    # 1600 Amphitheatre Parkway; 221B Baker Street; 233 S Wacker Dr; 123 Queen St W
    rf"(?<![\w$€£.,])(?-i:{_NUMBER})[ \t]+(?:[NSEW]\.?[ \t]+)?(?:{_WORD}[ \t]+){{1,4}}(?-i:{_EN_STREET})\b\.?"
    rf"(?:[ \t]+(?:North|South|East|West|NW|NE|SW|SE|N|S|E|W)\b)?{_UNIT}{_TAIL}",
    # Friedrichstraße 123; Herengracht 500; Drottninggatan 71
    rf"(?<![\w])\p{{Lu}}[\p{{L}}\p{{M}}-]*(?i:{_COMPOUND})[ \t]+{_NUMBER}\b{_UNIT}{_TAIL}",
    # 12 rue de la Paix; 18 avenue de l'Opéra
    rf"(?<![\w$€£.,])\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|quai|"
    rf"impasse|route|cours)[ \t]+(?:(?i:de[ \t]+la|de[ \t]+l['’]|des|du|de|d['’]|la|le|les|l['’])[ \t]*)?"
    rf"[\p{{L}}\p{{M}}'’-]+(?:[ \t]+(?:(?:de|du|des|la|le|l['’]|d['’])[ \t]*)?{_WORD}){{0,3}}{_UNIT}{_TAIL}",
    # Calle de Alcalá 48; Via Roma 15; ul. Marszałkowska 84/92
    rf"(?<![\w])(?i:calle|c/|avenida|avda\.|paseo|plaza|carrer|rua|via|viale|piazza|corso|largo|rambla|ul\.|al\.)"
    rf"[ \t]+(?:(?i:de[ \t]+la|de[ \t]+los|del|de|dei|della|delle|do|da|dos)[ \t]+)?{_WORD}(?:[ \t]+{_WORD}){{0,3}},?"
    rf"[ \t]*{_NUMBER}\b{_UNIT}{_TAIL}",
    r"(?<![\w])(?i:p\.?[ \t]?o\.?[ \t]?box|postfach|apartado)[ \t]+\d+",
]


# IBAN-shaped, whatever its checksum: a mistyped IBAN is still someone's bank account
_IBAN_SHAPES = [r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])"]


CUED_PERSON = "fieldsignal_person"  # the recogniser name of names found by a cue


class CuedRecognizer(EntityRecognizer):
    """Findings of one entity from cued patterns: the named group `v` (every capture), else the whole match."""

    def __init__(
        self,
        entity: str,
        patterns: Iterable[str],
        accept: Callable[[str], bool] = lambda _: True,
        score: float = 0.9,
    ) -> None:
        self.patterns = [regex.compile(p, regex.V0) for p in patterns]
        self.accept, self.score = accept, score
        super().__init__(supported_entities=[entity], name=f"fieldsignal_{entity.lower()}", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        found = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                spans = list(match.spans("v")) if "v" in pattern.groupindex else [match.span()]
                for start, end in spans:
                    value = text[start:end].rstrip(" \t\n,.;:")
                    if value and self.accept(value):
                        found.append(
                            RecognizerResult(self.supported_entities[0], start, start + len(value), self.score)
                        )
        return found


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


_DATE = regex.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


def phone_shaped(value: str) -> bool:
    """Enough digits for a phone number, and not a date ("2026-03-31" parses as a number somewhere)."""
    return _digits(value) >= 7 and not _DATE.fullmatch(value.strip())


def plausible_phone(value: str, before: str) -> bool:
    """A number `phonenumbers` calls possible, without a cue: it needs a phone's shape (an international
    or trunk prefix, or 8+ digits) and must not be the tail of an identifier ("ES-1182733", "INC1182733")."""
    if not phone_shaped(value) or regex.search(r"[A-Za-z][-_#/]?\Z", before):
        return False
    return value.startswith(("+", "00", "(", "0")) or _digits(value) >= 8


def rule_recognizers() -> list[EntityRecognizer]:
    return [
        CuedRecognizer("PERSON", _NAMES),
        CuedRecognizer("ACCOUNT_NUMBER", _ACCOUNTS, lambda v: _digits(v) >= 5),
        CuedRecognizer("PASSPORT", _PASSPORTS, lambda v: _digits(v) >= 3),
        CuedRecognizer("NATIONAL_ID", _IDS, lambda v: _digits(v) >= 4),
        CuedRecognizer("PHONE_NUMBER", _PHONES, phone_shaped),
        CuedRecognizer("CHAT_HANDLE", _HANDLES),
        CuedRecognizer("STREET_ADDRESS", _ADDRESSES),
        CuedRecognizer("IBAN_CODE", _IBAN_SHAPES, lambda v: v[:2] in regex_per_country and _digits(v) >= 10),
    ]

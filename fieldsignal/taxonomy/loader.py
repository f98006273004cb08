"""Load and validate a taxonomy TOML file into pydantic models."""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from fieldsignal.errors import TaxonomyError
from fieldsignal.models import REQUIRED_STATUSES, REQUIRED_TYPES, SIGNAL_TYPES, STATUSES

DEFAULT_TAXONOMY = Path(__file__).with_name("default.toml")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_rules(cls, data: object) -> object:
        if isinstance(data, dict):
            retired = sorted(_RETIRED & set(data))
            if retired:
                raise ValueError(
                    f"{', '.join(retired)}: no longer read (the triage learns from examples, not word lists); "
                    "delete the key, and put other names of a gap or competitor under `aliases`"
                )
        return data


# Keys of earlier taxonomy files that the triage no longer reads: it learns from examples.
_RETIRED = {"cues", "name_cues", "keywords", "infrastructure", "weights"}


class SignalTypeDef(_Entry):
    name: str
    description: str
    examples: list[str] = []
    # a signal of this type always names a gap, known or new (the labelling conventions of data/corpus)
    needs_gap: bool = False


class Category(_Entry):
    name: str
    description: str = ""


class Gap(_Entry):
    slug: str
    name: str
    category: str
    use_case_blocked: str = ""
    source: str = ""
    description: str = ""
    aliases: list[str] = []  # other names people give the gap (read by `ask`, never by the triage)
    examples: list[str] = []

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, slug: str) -> str:
        if not _SLUG.match(slug):
            raise ValueError(f"slug {slug!r} must be lowercase letters, digits, '-' or '_'")
        return slug


class StatusDef(_Entry):
    name: str
    meaning: str = ""


class Priority(_Entry):
    rank: int
    cluster: str
    gaps: list[str]
    deal_impact: str = ""
    action: str = ""


class IndustryDef(_Entry):
    """An industry code; `aliases` are how a CRM export may spell it ("Financial Services" → FSI)."""

    code: str
    description: str = ""
    aliases: list[str] = []


class ArchetypeDef(_Entry):
    name: str
    description: str = ""


class Competitor(_Entry):
    """A competitor at company level; `aliases` are the other names notes give it ("SiS", "Streamlit in Snowflake").

    Whether a named cloud is a rival or only where the customer runs is learned from context.
    """

    name: str
    aliases: list[str] = []


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    name: str = ""
    signal_types: list[SignalTypeDef] = []
    categories: list[Category] = []
    gaps: list[Gap]
    statuses: list[StatusDef] = []
    priorities: list[Priority] = []
    industries: list[IndustryDef] = []
    archetypes: list[ArchetypeDef] = []
    competitors: list[Competitor] = []
    # `ask` reads each phrase as its meaning ("pipeline at risk" → "acv at risk"); never the triage
    ask_synonyms: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Taxonomy:
        problems: list[str] = []
        slugs = [g.slug for g in self.gaps]
        problems += [f"gap slug {s!r} appears twice" for s in _dupes(slugs)]
        problems += [f"gap name {n!r} appears twice" for n in _dupes([g.name for g in self.gaps])]
        cats = {c.name for c in self.categories}
        if cats:
            problems += [
                f"gap {g.slug!r} has category {g.category!r}, which is not among the categories"
                for g in self.gaps
                if g.category not in cats
            ]
        for p in self.priorities:
            problems += [f"priority {p.rank} names unknown gap {s!r}" for s in p.gaps if s not in slugs]
        types = [t.name for t in self.signal_types]
        problems += [f"signal type {t!r} appears twice" for t in _dupes(types)]
        if types:
            problems += [f"signal type {t!r} is missing (the code reads it)" for t in REQUIRED_TYPES if t not in types]
        statuses = [s.name for s in self.statuses]
        problems += [f"status {s!r} appears twice" for s in _dupes(statuses)]
        if statuses:
            problems += [f"status {s!r} is missing (the code reads it)" for s in REQUIRED_STATUSES if s not in statuses]
        for kind, names in (
            ("industry", [i.code for i in self.industries]),
            ("archetype", [a.name for a in self.archetypes]),
        ):
            problems += [f"{kind} {n!r} appears twice" for n in _dupes(names)]
        if not self.gaps:
            problems.append("the taxonomy defines no gaps")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---------------------------------------------------------------- lookups
    @cached_property
    def gap_bound_types(self) -> frozenset[str]:
        """The types whose signals always name a gap (`needs_gap`)."""
        return frozenset(t.name for t in self.signal_types if t.needs_gap)

    @cached_property
    def gap_by_slug(self) -> dict[str, Gap]:
        return {g.slug: g for g in self.gaps}

    def resolve_gap(self, text: str | None) -> Gap | None:
        """A gap from its slug or (case-insensitively) its name; None if unknown."""
        if not text:
            return None
        key = text.strip().lower()
        for gap in self.gaps:
            if key in (gap.slug, gap.name.lower()):
                return gap
        return None

    def find_gap(self, text: str) -> Gap:
        """A gap as a person types it: its slug or name (case, spaces and dashes ignored), or the start
        of one (from any of its words: "firew" is No firewall) when only one gap fits; TaxonomyError
        naming the choices otherwise."""
        exact = self.resolve_gap(text)
        if exact is not None:
            return exact
        key = re.sub(r"[\s_-]+", "", text).casefold()

        def starts(value: str) -> list[str]:  # the value from each of its words on, squashed
            words = re.split(r"[\s_-]+", value.casefold())
            return ["".join(words[i:]) for i in range(len(words))]

        whole = [g for g in self.gaps if key in (starts(g.slug)[0], starts(g.name)[0])]
        starts_so = whole or [
            g for g in self.gaps if key and any(v.startswith(key) for v in (*starts(g.slug), *starts(g.name)))
        ]
        if len(starts_so) == 1:
            return starts_so[0]
        if starts_so:
            raise TaxonomyError(f"gap {text!r} could be {', '.join(g.name for g in starts_so)}: say which")
        raise TaxonomyError(f"unknown gap {text!r} (use a slug or name: {', '.join(g.slug for g in self.gaps)})")

    @cached_property
    def category_names(self) -> list[str]:
        names = [c.name for c in self.categories]
        return names or sorted({g.category for g in self.gaps})

    @cached_property
    def status_names(self) -> list[str]:
        return [s.name for s in self.statuses] or list(STATUSES)

    def gap_texts(self) -> dict[str, list[str]]:
        """What describes each known gap: its description, name and use case, and its examples."""
        return {
            g.slug: [t for t in (g.description, f"{g.name}: {g.use_case_blocked}".strip(": "), *g.examples) if t]
            for g in self.gaps
        }

    @cached_property
    def type_names(self) -> list[str]:
        return [t.name for t in self.signal_types] or list(SIGNAL_TYPES)

    def resolve(self, kind: str, value: str | None) -> str | None:
        """The taxonomy's spelling of a signal type, status, industry or archetype (case and separators
        ignored); None when `value` is empty; TaxonomyError naming the choices when it is unknown."""
        if value is None or not value.strip():
            return None
        names = {
            "signal type": self.type_names,
            "status": self.status_names,
            "industry": [i.code for i in self.industries],
            "archetype": [a.name for a in self.archetypes],
        }[kind]
        key = _squash(value)
        found = next((n for n in names if _squash(n) == key), None)
        if found is None and kind == "industry":
            found = next((i.code for i in self.industries if key in {_squash(a) for a in i.aliases}), None)
        if found is None:
            raise TaxonomyError(f"unknown {kind} {value!r} (use one of: {', '.join(names)})")
        return found

    def priority_rank(self, slug: str | None) -> int:
        for p in sorted(self.priorities, key=lambda p: p.rank):
            if slug in p.gaps:
                return p.rank
        return len(self.priorities) + 1

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def _dupes(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if x in seen or seen.add(x)]  # type: ignore[func-returns-value]


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; TaxonomyError says what is wrong, where."""
    file = Path(path) if path else DEFAULT_TAXONOMY
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaxonomyError(f"taxonomy file not found: {file}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{file}: not valid TOML: {exc}") from None
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        raise TaxonomyError(f"{file}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def taxonomy_from_labels(examples: dict[str, list[str]], name: str = "few-shot") -> Taxonomy:
    """A taxonomy whose gaps are arbitrary labels with example texts (few-shot eval)."""
    gaps = [
        Gap(slug=_slugify(label), name=label, category=label, examples=texts)
        for label, texts in sorted(examples.items())
    ]
    return Taxonomy(name=name, gaps=gaps, signal_types=[], statuses=[])


def _slugify(label: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-")
    return slug or "label"


__all__ = ["SIGNAL_TYPES", "Gap", "Taxonomy", "load_taxonomy"]


def with_promoted_gaps(taxonomy: Taxonomy, path: Path) -> Taxonomy:
    """The taxonomy plus the gaps promoted from proposals in this workspace (`gaps.toml`)."""
    if not path.exists():
        return taxonomy
    try:
        extra = tomllib.loads(path.read_text(encoding="utf-8")).get("gaps", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"{path}: not valid TOML: {exc}") from None
    return with_gaps(taxonomy, extra, str(path))


def with_gaps(taxonomy: Taxonomy, extra: list[dict[str, Any]], where: str) -> Taxonomy:
    """The taxonomy plus these gap definitions (one already known by slug is not added twice)."""
    known = {g.slug for g in taxonomy.gaps}
    fresh = [g for g in extra if g.get("slug") not in known]
    if not fresh:
        return taxonomy
    data = taxonomy.model_dump()
    data["gaps"] = [*data["gaps"], *fresh]
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(f"{where}: {_describe(exc)}") from None


def _squash(value: str) -> str:
    """A name compared without case, spaces, '_', '-' or '&'."""
    return re.sub(r"[\s_&-]+", "", value).casefold()

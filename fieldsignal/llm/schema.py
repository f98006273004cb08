"""The LLM's answer as a pydantic model built from the taxonomy (instructor-style contract).

Type, gap, category, industry and archetype are `Literal`s of the taxonomy's own labels, so
an answer naming anything else fails validation; unknown keys fail too (`extra="forbid"`).
A note can only describe itself: the schema has no field that could touch another note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from fieldsignal.models import NEW_GAP
from fieldsignal.taxonomy import Taxonomy

MAX_SIGNALS = 3


def _literal(values: Sequence[str]) -> Any:
    return Literal[tuple(values)]


def triage_schema(taxonomy: Taxonomy) -> type[BaseModel]:
    """`{"signals": [{signal_type, gap, new_gap_label, excerpt}], "deal": {...}}` over this taxonomy."""
    forbid = ConfigDict(extra="forbid")
    types = [t.name for t in taxonomy.signal_types] or ["Product Gap"]
    gaps = [g.slug for g in taxonomy.gaps] + [NEW_GAP]
    industries = [i.code for i in taxonomy.industries] or ["Other"]
    archetypes = [a.name for a in taxonomy.archetypes] or ["Cockpit", "Vertical", "Horizontal"]
    bound = taxonomy.gap_bound_types

    def names_its_gap(item: Any) -> Any:
        if item.signal_type in bound and item.gap is None:
            raise ValueError(f"a {item.signal_type} signal names its gap: a known slug, or {NEW_GAP!r} and a label")
        return item

    signal = create_model(
        "LLMSignal",
        __config__=forbid,
        __validators__={"names_its_gap": model_validator(mode="after")(names_its_gap)},  # type: ignore[dict-item]
        signal_type=(_literal(types), ...),
        gap=(_literal(gaps) | None, None),
        new_gap_label=(Annotated[str, Field(max_length=80)] | None, None),
        evidence=(Annotated[str, Field(max_length=400)] | None, None),
    )
    deal = create_model(
        "LLMDeal",
        __config__=forbid,
        customer=(Annotated[str, Field(max_length=120)] | None, None),
        industry=(_literal(industries) | None, None),
        archetype=(_literal(archetypes) | None, None),
        competitor=(Annotated[str, Field(max_length=60)] | None, None),
        lost_deal=(bool | None, None),
        acv_usd=(Annotated[int, Field(ge=0, le=10**10)] | None, None),
    )
    return create_model(
        "LLMTriage",
        __config__=forbid,
        signals=(Annotated[list[signal], Field(min_length=1, max_length=MAX_SIGNALS)], ...),  # type: ignore[valid-type,arg-type]
        deal=(deal, ...),
    )

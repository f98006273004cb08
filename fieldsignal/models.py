"""Pydantic contracts shared by every part of fieldsignal."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Signal types, statuses, industries and archetypes are the taxonomy's (a file users edit), checked
# against the loaded taxonomy where a value comes in (import, review, the LLM), not fixed here.
# The names below are the ones the code gives a meaning to; a taxonomy that defines types or
# statuses must keep them (taxonomy/loader.py says so when it does not).
SignalType = str
Status = str
Industry = str
Archetype = str
LOSS = "Loss"
SIGNAL_TYPES: tuple[str, ...] = ("Opportunity", "Win", "Loss", "Product Gap", "Competitive")
STATUSES: tuple[str, ...] = ("New", "Enriched", "Escalated", "Acknowledged", "Roadmap", "Shipped", "Won't Fix")
REQUIRED_TYPES: tuple[str, ...] = ("Win", "Loss", "Product Gap")  # loss analysis, memos, the default type
REQUIRED_STATUSES: tuple[str, ...] = ("New",)  # every signal starts there
DecidedBy = Literal["offline", "llm", "human", "import"]
NEW_GAP = "new gap candidate"


class Strict(BaseModel):
    """For data that comes from outside: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


class NoteInput(Strict):
    """One note as an ingest reader hands it to triage."""

    text: str
    source: str = "paste"
    author: str | None = None
    date: dt.date | None = None
    subject: str | None = None
    # Hints a structured source carries (a CSV column, say); triage prefers them.
    customer: str | None = None


class Scored(BaseModel):
    """A label with its confidence, and the runners-up."""

    label: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    alternatives: list[tuple[str, float]] = []


class DealFields(BaseModel):
    customer: str | None = None
    industry: Industry | None = None
    archetype: Archetype | None = None
    competitor: str | None = None
    lost_deal: bool = False
    acv_usd: int | None = None
    date: dt.date | None = None
    author: str | None = None


class SignalDraft(BaseModel):
    """What triage says about one finding in a note, before it is stored."""

    signal_type: Scored
    gap: Scored  # label: a gap slug, NEW_GAP, or None (no gap reported)
    category: Scored
    new_gap_label: str | None = None
    excerpt: str
    deal: DealFields
    use_case_blocked: str | None = None
    needs_review: bool = False
    review_reasons: list[str] = []
    decided_by: DecidedBy = "offline"
    llm_model: str | None = None  # the model that decided, when decided_by is "llm"
    prompt_id: str | None = None  # and the prompt version it was given


class TriageResult(BaseModel):
    note: NoteInput
    note_hash: str
    signals: list[SignalDraft]
    # other names the note may give its customer, best first: an account list may recognise one of them
    customer_candidates: list[str] = []
    # the probabilities of the fields no head confidence covers ("customer", "competitor", "acv",
    # "industry"): what the review gate reads beside the type's and the gap's
    field_confidence: dict[str, float] = {}


class Signal(BaseModel):
    """A row of the signal log as the store returns it."""

    id: int
    note_id: int
    date: dt.date | None
    source: str
    signal_type: SignalType
    category: str | None
    gap: str | None  # gap slug, or None
    gap_name: str | None
    new_gap_label: str | None
    use_case_blocked: str | None
    customer: str | None
    industry: str | None
    archetype: str | None
    competitor: str | None
    lost_deal: bool
    acv_usd: int | None
    pm_ticket: str | None
    status: Status
    author: str | None
    confidence: float
    type_confidence: float
    gap_confidence: float
    needs_review: bool
    duplicate_of: int | None
    decided_by: DecidedBy
    llm_model: str | None = None
    prompt_id: str | None = None
    excerpt: str
    created_at: dt.datetime
    rejected_at: dt.datetime | None = None  # "not a signal": kept, restorable, counted nowhere
    rejected_why: str | None = None


class StatusChange(BaseModel):
    signal_id: int
    status: Status
    at: dt.datetime
    who: str
    why: str | None = None
    ticket: str | None = None


class ImportFailure(BaseModel):
    source: str
    error: str


class ImportReport(BaseModel):
    notes_seen: int = 0
    notes_added: int = 0
    notes_skipped_duplicate: int = 0
    signals_added: int = 0
    queued_for_review: int = 0
    duplicates_linked: int = 0
    duplicates_asked: int = 0  # borderline second reports: "same signal?" in the review queue
    signal_ids: list[int] = []
    failures: list[ImportFailure] = []
    llm_calls: int = 0
    warnings: list[str] = []  # e.g. the LLM was unreachable and the offline result was kept
    signals: list[Signal] = Field(default=[], exclude=True)  # the stored rows of signal_ids (not in the JSON)


class TallyRow(BaseModel):
    key: str | None
    signals: int
    customers: int
    lost_deals: int
    acv_usd: int
    acv_lost_usd: int


class Tally(BaseModel):
    by: str
    since: dt.date | None
    until: dt.date | None
    rows: list[TallyRow]
    total_signals: int
    review_queue: int


class LabelledExample(BaseModel):
    """A reviewed (text, labels) pair the triage learns from."""

    text: str
    signal_type: str | None
    gap: str | None  # known gap slug
    new_gap_label: str | None = None


# ---------------------------------------------------------------- a parsed question (ask)
# The contract between the offline parser (or an LLM) and the vetted SQL of store/ask.py: only these
# shapes can be asked, so only vetted SQL can run.
Measure = Literal["signals", "deals", "customers", "acv", "acv_lost", "acv_at_risk", "lost_deals"]
GroupBy = Literal["gap", "category", "industry", "competitor", "customer", "month", "week", "signal_type", "status"]
Shape = Literal["value", "ranking", "list_customers", "list_deals", "list_signals", "trend"]


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gaps: list[str] = []  # slugs
    categories: list[str] = []
    industries: list[str] = []
    customers: list[str] = []  # as stored
    competitors: list[str] = []
    signal_types: list[str] = []
    statuses: list[str] = []
    authors: list[str] = []
    lost: bool | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shape: Shape
    measure: Measure = "signals"
    group_by: GroupBy | None = None
    limit: int | None = None
    ascending: bool = False
    filters: Filters = Filters()
    period_label: str | None = None  # "last quarter (2026-07-01 to 2026-09-30)", for the sentence

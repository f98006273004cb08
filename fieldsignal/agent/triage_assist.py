"""LLM-assisted triage: which notes go to the model, what it is shown, and what is kept.

For each note the offline triage is unsure of (or every note, with `llm_use = always`):
redact → render the versioned prompt with the nearest labelled examples → cache or call →
validate against the taxonomy schema → one repair round → restore placeholders → merge.
Any failure keeps the offline result and leaves a one-line warning. Pure of storage: the
cache is read through a function and new entries and usage records are handed back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from fieldsignal.agent.triage_merge import merge
from fieldsignal.ingest.redact import Redaction, RedactionUnavailable, redact
from fieldsignal.llm.provider import ChatModel, ChatReply, LLMUnavailable
from fieldsignal.llm.schema import triage_schema
from fieldsignal.models import TriageResult
from fieldsignal.prompts import Prompt, load
from fieldsignal.store.llm import CacheEntry, UsageRecord
from fieldsignal.taxonomy import Taxonomy

NOTE_MARK = "\n=== note ===\n"
MAX_NOTE_CHARS = 12_000  # longer notes are cut for the model; the offline result covers the rest
Examples = Callable[[TriageResult], list[tuple[str, str]]]  # (label, text) of similar labelled notes


@dataclass
class AssistOutcome:
    results: list[TriageResult]
    cache_entries: list[CacheEntry] = field(default_factory=list)
    usage: list[UsageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calls: int = 0


@dataclass
class LLMAssist:
    chat: ChatModel
    taxonomy: Taxonomy
    use: str = "uncertain"  # uncertain | always | never
    concurrency: int = 4
    redact_customers: bool = True
    prompt: Prompt = field(default_factory=lambda: load("triage"))
    examples: Examples | None = None

    def __post_init__(self) -> None:
        self.schema: type[BaseModel] = triage_schema(self.taxonomy)
        self._down: str | None = None  # set on an outage: the rest of the batch stays offline
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- public
    def wanted(self, result: TriageResult) -> bool:
        if self.use == "never":
            return False
        if self.use == "always":
            return True
        # unsure, several gaps in one note, or a field the offline extractor could not find
        unsure = any(s.needs_review for s in result.signals)
        return unsure or len(result.signals) > 1 or result.signals[0].deal.customer is None

    def refine(
        self, results: Sequence[TriageResult], cached: Callable[[list[str]], dict[str, str]], known: Sequence[str] = ()
    ) -> AssistOutcome:
        """Refine the results the offline triage is unsure of; the others pass through unchanged."""
        self._down = None
        todo = [i for i, r in enumerate(results) if self.wanted(r)]
        outcome = AssistOutcome(results=list(results))
        try:
            calls = {i: self._messages(results[i], known) for i in todo}
        except RedactionUnavailable as exc:  # fail closed: nothing leaves the machine unredacted
            outcome.warnings.append(f"LLM not used: {exc}; kept the offline result")
            return outcome
        hits = cached([key for _, _, key in calls.values()])
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            answers = pool.map(lambda i: self._answer(*calls[i], hits.get(calls[i][2])), todo)
            for i, (answer, usage, entry, warning) in zip(todo, answers, strict=True):
                outcome.usage += usage
                outcome.calls += sum(not u.cached for u in usage)
                if entry:
                    outcome.cache_entries.append(entry)
                if warning and warning not in outcome.warnings:
                    outcome.warnings.append(warning)
                if answer is not None:
                    redaction = calls[i][0]
                    outcome.results[i] = merge(
                        results[i], redaction.restore(answer), self.taxonomy, self.chat.name, self.prompt.id
                    )
        return outcome

    # ---------------------------------------------------------------- internals
    def _messages(self, result: TriageResult, known: Sequence[str]) -> tuple[Redaction, list[dict[str, str]], str]:
        note = result.note
        customers = [c for c in {*(s.deal.customer for s in result.signals), note.customer, *known} if c]
        redaction = redact(note.text[:MAX_NOTE_CHARS], [note.author or ""], customers, self.redact_customers)
        examples = [
            {"label": label, "text": redact(text, (), customers, self.redact_customers).text[:300]}
            for label, text in (self.examples(result) if self.examples else [])
        ]
        guess = [
            {"signal_type": s.signal_type.label, "gap": s.gap.label, "confidence": min(s.gap.confidence, 1.0)}
            for s in result.signals
        ]
        rendered = self.prompt.render(
            note=redaction.text,
            signal_types=self.taxonomy.signal_types,
            gaps=self.taxonomy.gaps,
            industries=[i.code for i in self.taxonomy.industries],
            archetypes=[a.name for a in self.taxonomy.archetypes],
            offline_guess=json.dumps(guess),
            examples=examples,
        )
        system, _, user = rendered.partition(NOTE_MARK)
        messages = [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]
        key = hashlib.sha256(json.dumps([self.prompt.id, self.chat.name, messages]).encode()).hexdigest()
        return redaction, messages, key

    def _answer(
        self, redaction: Redaction, messages: list[dict[str, str]], key: str, cached: str | None
    ) -> tuple[dict[str, Any] | None, list[UsageRecord], CacheEntry | None, str | None]:
        now = dt.datetime.now().replace(microsecond=0)
        if cached is not None:
            hit = UsageRecord(called_at=now, model=self.chat.name, prompt_id=self.prompt.id, cached=True)
            return json.loads(cached), [hit], None, None
        usage: list[UsageRecord] = []
        conversation = list(messages)
        for _attempt in range(2):  # the answer, then one repair round
            if self._down:
                return None, usage, None, self._down
            try:
                got = self.chat.structured(conversation, self.schema)
            except LLMUnavailable as exc:
                with self._lock:
                    self._down = f"LLM unavailable ({exc}); kept the offline result"
                usage.append(self._usage(now, None, str(exc)))
                return None, usage, None, self._down
            reply = got.reply
            if got.parsed is None:
                usage.append(self._usage(now, reply, "invalid answer"))
                conversation = [
                    *messages,
                    {"role": "assistant", "content": reply.text[:4000]},
                    {
                        "role": "user",
                        "content": f"That answer is invalid ({got.problem}). Reply with corrected JSON only.",
                    },
                ]
                continue
            answer = got.parsed.model_dump(mode="json")
            usage.append(self._usage(now, reply, None))
            entry = CacheEntry(key=key, prompt_id=self.prompt.id, model=self.chat.name, response=json.dumps(answer))
            return answer, usage, entry, None
        return None, usage, None, "the LLM gave no valid answer after one repair; kept the offline result"

    def _usage(self, now: dt.datetime, reply: ChatReply | None, error: str | None) -> UsageRecord:
        return UsageRecord(
            called_at=now,
            model=self.chat.name,
            prompt_id=self.prompt.id,
            input_tokens=reply.input_tokens if reply else 0,
            output_tokens=reply.output_tokens if reply else 0,
            ok=error is None,
            error=error,
            seconds=reply.seconds if reply else None,
        )

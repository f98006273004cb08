"""`fieldsignal eval --questions`: import the data rows as labelled, ask each question, compare rows exactly.

A question row is `{"question": ..., "answer": [rows]}`, optionally `"today": "YYYY-MM-DD"`
(relative periods resolve against it) and `"ordered": true`. Rows compare as multisets unless
the question asks for an order (top, rank, most, trend, per month...); numbers compare exactly,
text without case.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from fieldsignal.errors import InputError
from fieldsignal.workspace import Workspace

_ORDERED = re.compile(
    r"\b(?:top|rank\w*|most|least|order\w*|sort\w*|trend|per (?:month|week)|by (?:month|week))\b", re.I
)


class QuestionRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str
    answer: list[Any]
    today: dt.date | None = None
    ordered: bool | None = None
    id: str | None = None


def load_questions(path: Path) -> list[QuestionRow]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(QuestionRow.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(f"{path} line {number}: {exc}") from None
    if not rows:
        raise InputError(f"{path}: no questions")
    return rows


def _value(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float):
        return int(v) if float(v).is_integer() else round(float(v), 6)
    return " ".join(str(v).split()).lower()


def _row(r: Any) -> tuple[Any, ...]:
    if isinstance(r, dict):
        r = list(r.values())
    if not isinstance(r, list | tuple):
        r = [r]
    return tuple(_value(v) for v in r)


def same_rows(expected: list[Any], got: list[Any], ordered: bool) -> bool:
    a, b = [_row(r) for r in expected], [_row(r) for r in got]
    return a == b if ordered else sorted(a, key=repr) == sorted(b, key=repr)


def score_questions(ws: Workspace, data: Path, questions: Path) -> dict[str, Any]:
    from fieldsignal.ingest.labelled import read_labelled

    report = ws.import_labelled(read_labelled(data))
    if report.failures:
        raise InputError(f"{data}: {report.failures[0].error}")
    rows = load_questions(questions)
    failures, right, latencies = [], 0, []
    for row in rows:
        started = time.perf_counter()
        answer = ws.ask(row.question, row.today)
        latencies.append((time.perf_counter() - started) * 1000)
        ordered = row.ordered if row.ordered is not None else bool(_ORDERED.search(row.question))
        if answer.understood and same_rows(row.answer, answer.rows, ordered):
            right += 1
        else:
            failures.append(
                {
                    "id": row.id,
                    "question": row.question,
                    "expected": row.answer,
                    "got": answer.rows if answer.understood else "not understood",
                    "sql": answer.sql,
                }
            )
    return {
        "accuracy": round(right / len(rows), 4),
        "n": len(rows),
        "p50_ms": round(statistics.median(latencies), 1),
        "failures": failures,
    }

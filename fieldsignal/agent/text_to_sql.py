"""Text-to-SQL with an LLM, for questions the offline parser does not know: checked, then sandboxed.

Two independent barriers stand between a model's SQL and anything it should not see:
1. `validate` reads DuckDB's own parse tree (json_serialize_sql): one SELECT; every table reference is
   the `signal_log` view or a CTE of the query (CTE names are plain identifiers that shadow nothing and
   never refer to themselves); no table functions, no schema- or catalog-qualified names; every
   function is on an allow-list of analytic functions (nothing that reads files or settings, nothing
   that can build a huge value from a small query); only documented columns or the query's own aliases.
2. `run_limited` runs it on a sandbox (store.sandbox): an in-memory copy of the view with external
   access off, locked configuration, one thread and a memory limit, with a row limit and a time limit.
The model is told why a query was refused in our own words, never in DuckDB's error text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from fieldsignal.agent.triage_assist import NOTE_MARK
from fieldsignal.ask.answer import Answer
from fieldsignal.llm.provider import ChatModel, LLMUnavailable
from fieldsignal.prompts import load
from fieldsignal.store.sandbox import UnsafeSQL, run_limited, statement_tree

VIEW = "signal_log"
COLUMNS = {
    "id": "signal id",
    "note_id": "the note (deal) the signal came from",
    "date": "the signal's date",
    "signal_type": "Opportunity, Win, Loss, Product Gap or Competitive",
    "category": "gap category (Security, Scaling, Cost, ...)",
    "gap": "known gap slug",
    "gap_name": "known gap name",
    "new_gap_label": "label of a proposed new gap",
    "use_case_blocked": "the use case the gap blocks",
    "customer": "customer name",
    "industry": "Retail, FSI, HLS, MFG, DN or Other",
    "archetype": "Cockpit, Vertical or Horizontal",
    "competitor": "competitor in play or chosen",
    "lost_deal": "true when the deal was lost",
    "acv_usd": "the deal's annual contract value in USD",
    "status": "New, Enriched, Escalated, Acknowledged, Roadmap, Shipped, Won't Fix",
    "author": "who reported it",
    "pm_ticket": "PM ticket id",
    "source": "where the note came from",
}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ALLOWED_FUNCTIONS = frozenset(
    word
    for line in (Path(__file__).parent / "sql_functions.txt").read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)


def validate(con: Any, sql: str) -> None:
    """Refuse anything but one SELECT over `signal_log` with documented columns and allowed functions."""
    if len(sql) > 8000:
        raise UnsafeSQL("the query is too long")
    tree = statement_tree(con, sql)
    if tree.get("error"):
        raise UnsafeSQL("not a single SELECT statement (it did not parse as one)")
    if len(tree.get("statements", [])) != 1:
        raise UnsafeSQL("exactly one SELECT statement is allowed")
    ctes = _check_ctes(tree)
    aliases = {a for a in _collect(tree, "alias")}
    for node in _nodes(tree):
        kind, cls = node.get("type"), node.get("class")
        if kind == "BASE_TABLE":
            _check_table(node, ctes)
        elif kind == "TABLE_FUNCTION":
            raise UnsafeSQL("table functions are not allowed")
        if cls in ("FUNCTION", "WINDOW"):
            name = str(node.get("function_name", "")).lower()
            if name not in ALLOWED_FUNCTIONS or node.get("schema") or node.get("catalog"):
                raise UnsafeSQL(f"function {_shown(name)} is not allowed")
        elif cls == "COLUMN_REF":
            column = str(node["column_names"][-1]).lower()
            if column not in COLUMNS and column not in aliases and column not in ctes:
                raise UnsafeSQL(f"unknown column {_shown(column)} (columns: {', '.join(COLUMNS)})")


def _check_ctes(tree: Any) -> set[str]:
    """The query's CTE names: plain identifiers that shadow no table and never read themselves."""
    names: set[str] = set()
    for node in _nodes(tree):
        for entry in (node.get("cte_map") or {}).get("map") or []:
            name = str(entry.get("key", "")).lower()
            if not _IDENTIFIER.match(name) or name == VIEW:
                raise UnsafeSQL(f"a CTE may not be named {_shown(name)}")
            inner = {str(n.get("table_name", "")).lower() for n in _nodes(entry.get("value")) if "table_name" in n}
            if name in inner:
                raise UnsafeSQL(f"CTE {_shown(name)} may not refer to itself")
            names.add(name)
    return names


def _check_table(node: dict[str, Any], ctes: set[str]) -> None:
    name = str(node.get("table_name", "")).lower()
    if node.get("schema_name") or node.get("catalog_name") or name not in {VIEW, *ctes}:
        raise UnsafeSQL(f"table {_shown(name)} is not allowed (use {VIEW})")


def _shown(name: str) -> str:
    """A name as it may appear in a message to the model: short identifiers only."""
    return repr(name) if re.fullmatch(r"[\w.*+\-/%<>=!~|^@]{1,40}", name) else "(that name)"


def _nodes(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _collect(tree: Any, key: str) -> set[str]:
    return {str(n[key]).lower() for n in _nodes(tree) if n.get(key) and isinstance(n[key], str)}


class SQLReply(BaseModel):
    """What the model answers: one query (anything else in its JSON is ignored)."""

    model_config = ConfigDict(extra="ignore")
    sql: str


def llm_answer(box: Any, chat: ChatModel, question: str, today: str, gaps: list[str]) -> Answer | None:
    """An answer from LLM-written SQL that passed validation and ran on the sandbox `box`, or None."""
    prompt = load("ask_sql")
    rendered = prompt.render(question=question, today=today, columns=list(COLUMNS.items()), gaps=gaps)
    system, _, user = rendered.partition(NOTE_MARK)
    messages = [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]
    for _attempt in range(2):
        try:
            got = chat.structured(messages, SQLReply)
        except LLMUnavailable:
            return None
        reply = got.reply
        try:
            if got.parsed is None:
                raise ValueError(got.problem)
            sql = got.parsed.sql
            validate(box, sql)
            columns, rows = run_limited(box, sql)
        except UnsafeSQL as exc:
            why = str(exc)
        except (ValueError, KeyError, TypeError):
            why = 'the reply was not JSON of the form {"sql": "SELECT ..."}'
        else:
            return _answer(question, sql, columns, rows, chat.name)
        messages = [
            *messages,
            {"role": "assistant", "content": reply.text[:4000]},
            {"role": "user", "content": f"That query was refused: {why}. Reply with corrected JSON only."},
        ]
    return None


def _answer(question: str, sql: str, columns: list[str], rows: list[list[Any]], model: str) -> Answer:
    at = columns.index("id") if "id" in columns else None
    ids = [r[at] for r in rows if isinstance(r[at], int)] if at is not None else []
    return Answer(
        question=question,
        understood=True,
        sentence=f"{len(rows)} row(s) from SQL written by {model} and checked before it ran.",
        columns=columns,
        rows=[[v.isoformat() if hasattr(v, "isoformat") else v for v in r] for r in rows],
        sql=sql,
        signal_ids=ids,
        decided_by="llm",
    )

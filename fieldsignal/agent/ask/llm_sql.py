"""Text-to-SQL with an LLM, for questions the offline parser does not know — validated before it runs.

The model may only write one SELECT over the documented `signal_log` view. Before running,
DuckDB's own parser (json_serialize_sql) checks: a single SELECT, only `signal_log` (or the
query's own CTEs), no table functions or file/system functions, only documented columns (or
aliases the query defines). It runs on the read-only connection, with a row limit and a time
limit; an error goes back to the model once, then the answer is "not understood".
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from fieldsignal.agent.ask.answer import Answer
from fieldsignal.agent.llm.assist import NOTE_MARK
from fieldsignal.agent.llm.provider import ChatModel, LLMUnavailable
from fieldsignal.prompts import load

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
ROW_LIMIT = 1000
TIMEOUT_SECONDS = 5.0
_FORBIDDEN = re.compile(
    r"^(?:read_|parquet_|sniff_|glob$|getenv$|query$|query_table$|system$|current_setting$|pragma_)"
)


class UnsafeSQL(ValueError):
    """The SQL is not a single SELECT over the documented view."""


def validate(con: Any, sql: str) -> None:
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise UnsafeSQL(tree.get("error_message") or "not a SELECT statement")
    if len(tree.get("statements", [])) != 1:
        raise UnsafeSQL("exactly one SELECT statement is allowed")
    names = {**COLUMNS, **{a: "" for a in _collect(tree, "alias")}, **{c: "" for c in _cte_names(tree)}}
    for node in _nodes(tree):
        kind = node.get("type")
        if kind == "BASE_TABLE" and node.get("table_name", "").lower() not in {VIEW, *_cte_names(tree)}:
            raise UnsafeSQL(f"table {node.get('table_name')!r} is not allowed (use {VIEW})")
        if kind == "TABLE_FUNCTION":
            raise UnsafeSQL("table functions are not allowed")
        if node.get("class") == "FUNCTION" and _FORBIDDEN.match(str(node.get("function_name", "")).lower()):
            raise UnsafeSQL(f"function {node.get('function_name')} is not allowed")
        if node.get("class") == "COLUMN_REF":
            column = node["column_names"][-1].lower()
            if column not in names:
                raise UnsafeSQL(f"unknown column {column!r} (columns: {', '.join(COLUMNS)})")


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
    return {str(n[key]).lower() for n in _nodes(tree) if n.get(key)}


def _cte_names(tree: Any) -> set[str]:
    return {
        str(entry["key"]).lower()
        for n in _nodes(tree)
        for entry in (n.get("map") or [])
        if isinstance(entry, dict) and "key" in entry
    }


def run_limited(con: Any, sql: str, timeout: float = TIMEOUT_SECONDS) -> tuple[list[str], list[list[Any]]]:
    """Run on the given (read-only) connection with a row limit; interrupt it after `timeout` seconds."""
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        cursor = con.execute(f"SELECT * FROM ({sql.rstrip().rstrip(';')}) AS answer LIMIT {ROW_LIMIT}")
        columns = [d[0] for d in cursor.description]
        rows = [list(r) for r in cursor.fetchall()]
    except Exception as exc:
        if not timer.is_alive():
            raise UnsafeSQL(f"the query ran over {timeout:g} s and was stopped") from None
        raise UnsafeSQL(str(exc).splitlines()[0]) from None
    finally:
        timer.cancel()
    return columns, rows


def llm_answer(con: Any, chat: ChatModel, question: str, today: str, gaps: list[str]) -> Answer | None:
    """An answer from LLM-written SQL that passed validation, or None (after one repair round)."""
    prompt = load("ask_sql")
    rendered = prompt.render(question=question, today=today, columns=list(COLUMNS.items()), gaps=gaps)
    system, _, user = rendered.partition(NOTE_MARK)
    messages = [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]
    for _attempt in range(2):
        try:
            reply = chat.chat(messages)
        except LLMUnavailable:
            return None
        try:
            sql = str(json.loads(reply.text)["sql"])
            validate(con, sql)
            columns, rows = run_limited(con, sql)
        except (ValueError, KeyError, TypeError) as exc:
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text[:4000]},
                {"role": "user", "content": f"That query was refused: {exc}. Reply with corrected JSON only."},
            ]
            continue
        ids = (
            [r[columns.index("id")] for r in rows if isinstance(r[columns.index("id")], int)] if "id" in columns else []
        )
        return Answer(
            question=question,
            understood=True,
            sentence=f"{len(rows)} row(s) from SQL written by {chat.name} and checked before it ran.",
            columns=columns,
            rows=[[v.isoformat() if hasattr(v, "isoformat") else v for v in r] for r in rows],
            sql=sql,
            signal_ids=ids,
            decided_by="llm",
        )
    return None

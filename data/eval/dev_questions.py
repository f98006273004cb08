"""Build dev_log.jsonl (the dev notes as a labelled signal log with dates, authors and statuses)
and dev_questions.jsonl (questions written by hand, answers computed here by a plain-Python
oracle over the rows, independently of fieldsignal's parser and SQL).

    python data/eval/dev_questions.py

Oracle semantics (the same contract `tally` documents): a row is one note (a deal); a note with
several gaps is one signal per gap; a deal's ACV counts once per note within a group; a lost
deal is a note with lost_deal true; a note's gap is the taxonomy name of its slug.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent  # data/eval
TODAY = dt.date(2026, 11, 25)
AUTHORS = ["dana", "priya", "marcus", "jo", "li", "sam"]
GAPS = tomllib.loads((DATA.parents[1] / "fieldsignal" / "taxonomy" / "default.toml").read_text())["gaps"]
GAP_NAMES = {g["slug"]: g["name"] for g in GAPS}
GAP_CATEGORY = {g["slug"]: g["category"] for g in GAPS}


def build_log() -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = [json.loads(line) for line in (DATA / "dev.jsonl").read_text().splitlines() if line.strip()]
    start = dt.date(2026, 6, 1)
    for row in rows:
        row["date"] = (start + dt.timedelta(days=rng.randrange(0, 172))).isoformat()
        row["author"] = rng.choice(AUTHORS)
        status = rng.choices(
            ["New", "Enriched", "Escalated", "Acknowledged", "Roadmap", "Shipped", "Won't Fix"],
            [40, 15, 15, 10, 10, 5, 5],
        )[0]
        row["status"] = status
        row.pop("split", None)
    return rows


# ---------------------------------------------------------------- oracle
def signals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        gaps = r.get("gaps") or [r.get("gap")]
        for g in gaps:
            known = g if g in GAP_NAMES else None
            category = GAP_CATEGORY[known] if known else r.get("category")  # each gap has its own category
            out.append(r | {"gap_slug": known, "gap_name": GAP_NAMES.get(known), "category": category, "note": r["id"]})
    return out


def where(rows: list[dict[str, Any]], **f: Any) -> list[dict[str, Any]]:
    out = signals(rows)
    for key, value in f.items():
        if key == "since":
            out = [s for s in out if s["date"] >= value]
        elif key == "until":
            out = [s for s in out if s["date"] <= value]
        elif key == "gap":
            out = [s for s in out if s["gap_slug"] in ([value] if isinstance(value, str) else value)]
        elif key == "industry":
            out = [s for s in out if s["industry"] in ([value] if isinstance(value, str) else value)]
        elif key == "customer":
            out = [s for s in out if (s["customer"] or "").lower() == value.lower()]
        elif key == "competitor":
            out = [s for s in out if (s["competitor"] or "").lower() == value.lower()]
        else:
            out = [s for s in out if s[key] == value]
    return out


def deals(sigs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_note: dict[str, dict[str, Any]] = {}
    for s in sigs:
        by_note.setdefault(s["note"], s)
    return by_note


def acv(sigs: list[dict[str, Any]], lost: bool | None = None) -> int:
    return sum((d["acv_usd"] or 0) for d in deals(sigs).values() if lost is None or d["lost_deal"] == lost)


def rank(sigs: list[dict[str, Any]], key: str, measure: str, limit: int | None = None) -> list[list[Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sigs:
        if s[key] is not None:
            groups[s[key]].append(s)
    values = {k: _measure(v, measure) for k, v in groups.items()}
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    return [[k, v] for k, v in ordered[:limit]]


def _measure(sigs: list[dict[str, Any]], measure: str) -> int:
    if measure == "signals":
        return len(sigs)
    if measure == "customers":
        return len({s["customer"].lower() for s in sigs if s["customer"]})
    if measure == "deals":
        return len(deals(sigs))
    if measure == "lost_deals":
        return sum(d["lost_deal"] for d in deals(sigs).values())
    if measure == "acv":
        return acv(sigs)
    if measure == "acv_lost":
        return acv(sigs, lost=True)
    return acv(sigs, lost=False)


def customers(sigs: list[dict[str, Any]]) -> list[list[str]]:
    names: dict[str, str] = {}
    for s in sigs:
        if s["customer"]:
            names.setdefault(s["customer"].lower(), s["customer"])
    return [[n] for n in sorted(names.values(), key=str.lower)]


def per_month(sigs: list[dict[str, Any]]) -> list[list[Any]]:
    months: dict[str, int] = defaultdict(int)
    for s in sigs:
        months[s["date"][:7]] += 1
    return [[m, n] for m, n in sorted(months.items())]


Q3 = {"since": "2026-07-01", "until": "2026-09-30"}
OCT = {"since": "2026-10-01", "until": "2026-10-31"}
SEP = {"since": "2026-09-01", "until": "2026-09-30"}
LAST_MONTH = OCT
THIS_MONTH = {"since": "2026-11-01", "until": "2026-11-25"}
SINCE_SEP = {"since": "2026-09-01"}


def questions(rows: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    w = lambda **f: where(rows, **f)  # noqa: E731
    n = lambda **f: [[len(w(**f))]]  # noqa: E731
    return [
        ("how many signals do we have", n()),
        ("How many signals came in during October?", n(**OCT)),
        ("number of signals last month", n(**LAST_MONTH)),
        ("how many signals this month so far", n(**THIS_MONTH)),
        ("count of signals since september", n(**SINCE_SEP)),
        ("how many signals last quarter", n(**Q3)),
        ("how many deals did we lose", [[_measure(w(lost_deal=True), "lost_deals")]]),
        (
            "How many deals did we lose to Snowflake?",
            [[_measure(w(lost_deal=True, competitor="Snowflake"), "lost_deals")]],
        ),
        ("how many deals lost to vercel", [[_measure(w(lost_deal=True, competitor="Vercel"), "lost_deals")]]),
        ("deals we lost to Retool - how many?", [[_measure(w(lost_deal=True, competitor="Retool"), "lost_deals")]]),
        ("how much ACV did we lose in total", [[acv(w(lost_deal=True))]]),
        ("how much ACV have we lost to Heroku", [[acv(w(lost_deal=True, competitor="Heroku"))]]),
        ("total ACV at risk", [[acv(w(), lost=False)]]),
        ("total ACV across all signals", [[acv(w())]]),
        ("ACV at risk in FSI", [[acv(w(industry="FSI"), lost=False)]]),
        ("how much revenue is at risk from custom domains", [[acv(w(gap="no-custom-domains"), lost=False)]]),
        ("how many customers are blocked by the firewall gap", [[_measure(w(gap="no-firewall"), "customers")]]),
        ("Which customers are blocked by custom domains?", customers(w(gap="no-custom-domains"))),
        ("which accounts need GPUs", customers(w(gap="no-gpu-config"))),
        ("list the customers that asked about lakebase", customers(w(gap="lakebase-only"))),
        ("who is blocked by scale to zero pricing", customers(w(gap="fixed-24x7-pricing"))),
        ("which customers mentioned model serving in october", customers(w(gap="complex-model-serving", **OCT))),
        (
            "which HLS customers have security gaps",
            customers([s for s in w(industry="HLS") if s["category"] == "Security" and s["gap_slug"]]),
        ),
        ("Which gap cost us the most ACV last quarter?", rank(w(lost_deal=True, **Q3), "gap_name", "acv_lost", 1)),
        ("Which gap cost us the most ACV in FSI?", rank(w(lost_deal=True, industry="FSI"), "gap_name", "acv_lost", 1)),
        ("which gap has the most signals", rank(w(), "gap_name", "signals", 1)),
        ("what blocker was reported most in september", rank(w(**SEP), "gap_name", "signals", 1)),
        ("top 3 gaps by signal count", rank(w(), "gap_name", "signals", 3)),
        ("top 5 gaps by ACV", rank(w(), "gap_name", "acv", 5)),
        ("top 3 gaps by ACV at risk in retail", rank(w(industry="Retail"), "gap_name", "acv_at_risk", 3)),
        ("top 2 categories by signals", rank(w(), "category", "signals", 2)),
        ("rank categories by ACV", rank(w(), "category", "acv")),
        ("signals by industry", rank(w(), "industry", "signals")),
        ("ACV by industry", rank(w(), "industry", "acv")),
        ("lost ACV by competitor", rank(w(lost_deal=True), "competitor", "acv_lost")),
        ("which competitor took the most ACV from us", rank(w(lost_deal=True), "competitor", "acv_lost", 1)),
        ("top 3 competitors by number of signals", rank(w(), "competitor", "signals", 3)),
        (
            "how many competitive signals mention Snowflake",
            [[len(w(signal_type="Competitive", competitor="Snowflake"))]],
        ),
        ("how many wins", n(signal_type="Win")),
        ("how many wins last quarter", n(signal_type="Win", **Q3)),
        ("how many opportunities in october", n(signal_type="Opportunity", **OCT)),
        ("how many signals are escalated", n(status="Escalated")),
        ("how many gaps are on the roadmap", n(status="Roadmap")),
        ("how many signals did we mark won't fix", n(status="Won't Fix")),
        ("which gaps have shipped", rank(w(status="Shipped"), "gap_name", "signals")),
        ("signals per month", per_month(w())),
        ("trend of security signals month over month", per_month([s for s in w() if s["category"] == "Security"])),
        ("FSI signals by month", per_month(w(industry="FSI"))),
        ("how many signals from dana", n(author="dana")),
        ("how many signals reported by priya in october", n(author="priya", **OCT)),
        ("how many signals about Marisco Bank", n(customer="Marisco Bank")),
        ("how many signals from greystone", n(customer="Greystone Foundry")),
        ("what ACV is at risk at Orbit Pay", [[acv(w(customer="Orbit Pay"), lost=False)]]),
        ("how many HLS signals about CVEs", n(industry="HLS", gap="cve-protection-unclear")),
        ("how many manufacturing customers are there", [[_measure(w(industry="MFG"), "customers")]]),
        ("how many customers in total", [[_measure(w(), "customers")]]),
        ("how many customers did we lose deals with", [[_measure(w(lost_deal=True), "customers")]]),
        ("how many signals about horizontal scaling since september", n(gap="no-horizontal-scaling", **SINCE_SEP)),
        ("how many signals about sessions or usage analytics", n(gap="no-user-sessions")),
        (
            "number of security signals in retail",
            [[len([s for s in w(industry="Retail") if s["category"] == "Security" and s["gap_slug"]])]],
        ),
        # a second batch: typos, synonyms, other sentence shapes
        ("how many signals about custm domains", n(gap="no-custom-domains")),
        ("firewal signals last quarter - count?", n(gap="no-firewall", **Q3)),
        ("how many accts asked about lakbase", [[_measure(w(gap="lakebase-only"), "customers")]]),
        ("# of deals lost to snowflak", [[_measure(w(lost_deal=True, competitor="Snowflake"), "lost_deals")]]),
        ("what's the total revenue at risk for banks", [[acv(w(industry="FSI"), lost=False)]]),
        ("$ at risk in healthcare accounts", [[acv(w(industry="HLS"), lost=False)]]),
        ("who did we lose to most often", rank(w(lost_deal=True), "competitor", "lost_deals", 1)),
        ("number of deals lost in Q3", [[_measure(w(lost_deal=True, **Q3), "lost_deals")]]),
        ("breakdown of signals by status", rank(w(), "status", "signals")),
        (
            "list every customer with a scaling problem",
            customers([s for s in w() if s["category"] == "Scaling" and s["gap_slug"]]),
        ),
        ("top three industries by lost ACV", rank(w(lost_deal=True), "industry", "acv_lost", 3)),
        ("how many product gap signals in retail", n(signal_type="Product Gap", industry="Retail")),
        ("count of losses last month", [[_measure(w(lost_deal=True, **LAST_MONTH), "lost_deals")]]),
        ("how many signals has sam logged", n(author="sam")),
        ("revenue lost to AWS", [[acv(w(lost_deal=True, competitor="AWS"))]]),
        ("which industry is hit hardest by the firewall gap", rank(w(gap="no-firewall"), "industry", "signals", 1)),
        ("per-industry ACV at risk", rank(w(), "industry", "acv_at_risk")),
        ("how many insurers and banks mention private link", n(industry="FSI", gap="no-ingress-egress-controls")),
        ("which pharma or healthcare accounts want GPU boxes", customers(w(industry="HLS", gap="no-gpu-config"))),
        ("gpu asks per month", per_month(w(gap="no-gpu-config"))),
        ("how many signals in the last 30 days", n(since="2026-10-27", until="2026-11-25")),
        ("how many signals last week", n(since="2026-11-16", until="2026-11-22")),
        ("how much ACV did Fennimore Pharma put at risk", [[acv(w(customer="Fennimore Pharma"), lost=False)]]),
        (
            "how many Observability signals this quarter",
            [[len([s for s in w(since="2026-10-01", until="2026-11-25") if s["category"] == "Observability"])]],
        ),
        ("rank competitors by deals lost", rank(w(lost_deal=True), "competitor", "lost_deals")),
        ("whats the weather like", None),
        ("write me a poem about apps", None),
    ]


def main() -> None:
    rows = build_log()
    (DATA / "dev_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = []
    for number, (question, answer) in enumerate(questions(rows), start=1):
        if answer is None:
            continue  # out of scope: checked by tests (no number), not scored
        lines.append(json.dumps({"id": f"q{number:03d}", "question": question, "answer": answer, "today": str(TODAY)}))
    (DATA / "dev_questions.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{len(rows)} log rows, {len(lines)} questions")


if __name__ == "__main__":
    main()

"""Build the held-out test signal log and test questions (with oracle answers).

Reads  data/eval/test.jsonl
Writes data/eval/test_log.jsonl
       data/eval/test_questions.jsonl

Run from the repository root (or anywhere; paths are resolved from this file):
    python3 data/eval/test_questions.py
"""

import datetime as dt
import json
import random
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parent  # data/eval
PKG = DATA.parents[1] / "fieldsignal"
SRC = DATA / "test.jsonl"
LOG = DATA / "test_log.jsonl"
OUT = DATA / "test_questions.jsonl"
TAXONOMY = PKG / "taxonomy" / "default.toml"

TODAY = "2026-11-25"
AUTHORS = ["ravi", "ellen", "tomas", "mei", "kofi"]
STATUSES = ["New", "Enriched", "Escalated", "Acknowledged", "Roadmap", "Shipped", "Won't Fix"]
STATUS_WEIGHTS = [40, 15, 15, 10, 10, 5, 5]


# ---------------------------------------------------------------- log build
def build_log():
    rng = random.Random(2024)
    start, end = dt.date(2026, 5, 15), dt.date(2026, 11, 20)
    span = (end - start).days
    rows = []
    with open(SRC, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            r.pop("split", None)
            r["date"] = (start + dt.timedelta(days=rng.randint(0, span))).isoformat()
            r["author"] = rng.choice(AUTHORS)
            r["status"] = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
            rows.append(r)
    with open(LOG, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


# ---------------------------------------------------------------- oracle
def load_gaps():
    with open(TAXONOMY, "rb") as fh:
        tax = tomllib.load(fh)
    return {g["slug"]: (g["name"], g["category"]) for g in tax["gaps"]}


def signals_of(rows, gaps):
    """One signal per listed gap (or per row when there is no 'gaps' list)."""
    out = []
    for r in rows:
        gl = r["gaps"] if isinstance(r.get("gaps"), list) and r.get("gaps") else [r.get("gap")]
        for g in gl:
            s = dict(r)
            s["gap"] = g
            if g in gaps:
                s["gap_name"], s["cat"] = gaps[g]
            else:
                s["gap_name"], s["cat"] = None, r.get("category")
            out.append(s)
    return out


PERIODS = {
    "last_quarter": ("2026-07-01", "2026-09-30"),
    "this_quarter": ("2026-10-01", "2026-11-25"),
    "last_month": ("2026-10-01", "2026-10-31"),
    "this_month": ("2026-11-01", "2026-11-25"),
    "october": ("2026-10-01", "2026-10-31"),
    "since_september": ("2026-09-01", "2026-11-25"),
    "q3": ("2026-07-01", "2026-09-30"),
    "last_week": ("2026-11-16", "2026-11-22"),
    "last_30_days": ("2026-10-27", "2026-11-25"),
}


def low(x):
    return x.lower() if isinstance(x, str) else x


def in_period(s, p):
    a, b = PERIODS[p]
    return a <= s["date"] <= b


def n_signals(S):
    return len(S)


def n_deals(S):
    return len({s["id"] for s in S})


def n_customers(S):
    return len({s["customer"].lower() for s in S if s.get("customer")})


def acv(S, mode="all"):
    seen = {}
    for s in S:
        if mode == "lost" and s["lost_deal"] is not True:
            continue
        if mode == "risk" and s["lost_deal"] is not False:
            continue
        seen[s["id"]] = s.get("acv_usd") or 0
    return int(sum(seen.values()))


def customers_list(S):
    names = {}
    for s in S:
        c = s.get("customer")
        if c and c.lower() not in names:
            names[c.lower()] = c
    return [[names[k]] for k in sorted(names)]


def ranking(S, keyfn, metric, n=None):
    groups = {}
    for s in S:
        k = keyfn(s)
        if k is None:
            continue
        groups.setdefault(k, []).append(s)
    rows = sorted(((k, metric(v)) for k, v in groups.items()), key=lambda kv: (-kv[1], kv[0]))
    return [list(kv) for kv in (rows[:n] if n else rows)]


def by_month(S):
    months = {}
    for s in S:
        months[s["date"][:7]] = months.get(s["date"][:7], 0) + 1
    return [[m, months[m]] for m in sorted(months)]


def GAP(s):
    return s["gap_name"]


def GAP_RAW(s):
    return s["gap_name"] or s["gap"]  # used only as a robustness check


def CAT(s):
    return s["cat"]


def IND(s):
    return s.get("industry")


def COMP(s):
    return s.get("competitor")


def is_gap(slug):
    return lambda s: s["gap"] == slug


def build_questions(S):
    def risk(X):
        return acv(X, "risk")

    def lost(X):
        return acv(X, "lost")

    def total(X):
        return acv(X, "all")

    def F(*preds):
        return [s for s in S if all(p(s) for p in preds)]

    def P(p):
        return lambda s: in_period(s, p)

    def ind(v):
        return lambda s: s.get("industry") == v

    def comp(v):
        return lambda s: low(s.get("competitor")) == low(v)

    def typ(v):
        return lambda s: s["signal_type"] == v

    def stat(v):
        return lambda s: s["status"] == v

    def auth(v):
        return lambda s: s["author"] == v

    def cat(v):
        return lambda s: s["cat"] == v

    def cust(v):
        return lambda s: low(s.get("customer")) == low(v)

    def LOST(s):
        return s["lost_deal"] is True

    # Each entry: (question, answer, kind). kind "which" => top-1 must be unique;
    # kind "gaprank" => ranking by gap must not change if NEW: gaps were counted.
    Q = []

    def add(q, a, kind=None, chk=None):
        return Q.append((q, a, kind, chk))

    # ---- counts: signals / deals / customers / lost deals
    add("how many signals do we have about custom domains?", [[n_signals(F(is_gap("no-custom-domains")))]])
    add("How many deals did we lose last quarter?", [[n_deals(F(LOST, P("last_quarter")))]])
    add("number of FSI signals this quarter", [[n_signals(F(ind("FSI"), P("this_quarter")))]])
    add("how many accounts are asking for GPU config?", [[n_customers(F(is_gap("no-gpu-config")))]])
    add("How many banks have brought up the firewall gap?", [[n_customers(F(ind("FSI"), is_gap("no-firewall")))]])
    add("how many Security signals came in in October", [[n_signals(F(cat("Security"), P("october")))]])
    add("How many deals have we lost to AWS?", [[n_deals(F(LOST, comp("AWS")))]])
    add("how many Loss signals are there in total", [[n_signals(F(typ("Loss")))]])
    add("how many signals did ellen log last month?", [[n_signals(F(auth("ellen"), P("last_month")))]])
    add("How many signals are still in New status?", [[n_signals(F(stat("New")))]])
    add("count of Escalated signals in the Scaling category", [[n_signals(F(stat("Escalated"), cat("Scaling")))]])
    add("how many signals have snowflake as the competitor", [[n_signals(F(comp("Snowflake")))]])
    add("how many signals do we have for kestrel foods", [[n_signals(F(cust("Kestrel Foods")))]])
    add(
        "How many healthcare customers ran into the Lakebase-only limitation?",
        [[n_customers(F(ind("HLS"), is_gap("lakebase-only")))]],
    )
    add("how many product gap signals since september?", [[n_signals(F(typ("Product Gap"), P("since_september")))]])
    add("competitive signals in the last 30 days - how many?", [[n_signals(F(typ("Competitive"), P("last_30_days")))]])
    add("how many signals were logged last week", [[n_signals(F(P("last_week")))]])
    add(
        "How many distinct customers hit the ingress/egress controls gap?",
        [[n_customers(F(is_gap("no-ingress-egress-controls")))]],
    )
    add("how many accounts hit the fixed 24x7 pricing problem", [[n_customers(F(is_gap("fixed-24x7-pricing")))]])
    add("how many Win signals has kofi logged?", [[n_signals(F(typ("Win"), auth("kofi")))]])
    add("how many signals are marked Won't Fix", [[n_signals(F(stat("Won't Fix")))]])
    add("how many deals did we lose to palantir in Q3", [[n_deals(F(LOST, comp("Palantir"), P("q3")))]])
    add("number of MFG signals in Q3?", [[n_signals(F(ind("MFG"), P("q3")))]])
    add("how many signals on user sesions this month", [[n_signals(F(is_gap("no-user-sessions"), P("this_month")))]])
    add("How many manufacturing deals have we lost?", [[n_deals(F(LOST, ind("MFG")))]])

    # ---- ACV sums
    add("total ACV lost?", [[lost(S)]])
    add("how much revenue is at risk from the firewal gap", [[risk(F(is_gap("no-firewall")))]])
    add("ACV at risk in FSI", [[risk(F(ind("FSI")))]])
    add("What's the total ACV tied to Security category signals?", [[total(F(cat("Security")))]])
    add("how much acv did we lose to Azure", [[lost(F(comp("Azure")))]])
    add("total ACV lost on healthcare deals last quarter", [[lost(F(ind("HLS"), P("last_quarter")))]])
    add("how much ACV is at risk on signals mei logged?", [[risk(F(auth("mei")))]])
    add(
        "ACV at risk from horizontal scaling since september",
        [[risk(F(is_gap("no-horizontal-scaling"), P("since_september")))]],
    )

    # ---- rankings
    add("top 3 gaps by number of signals", ranking(S, GAP, n_signals, 3), "gaprank", (GAP, n_signals, 3))
    add("which gap has the most ACV at risk?", ranking(S, GAP, risk, 1), "which+gaprank", (GAP, risk, None))
    add("top 3 categoreis by ACV at risk", ranking(S, CAT, risk, 3))
    add(
        "which industry has the most lost deals",
        ranking(S, IND, lambda X: n_deals([s for s in X if s["lost_deal"] is True]), 1),
        "which",
        (S, IND, lambda X: n_deals([s for s in X if s["lost_deal"] is True])),
    )
    add("top 3 competitors by # of signals", ranking(S, COMP, n_signals, 3))
    add("Which competitor did we lose the most revenue to?", ranking(S, COMP, lost, 1), "which", (S, COMP, lost))
    add("top 5 gaps by lost acv", ranking(S, GAP, lost, 5), "gaprank", (GAP, lost, 5))
    add(
        "which category had the most signals last quarter?",
        ranking(F(P("last_quarter")), CAT, n_signals, 1),
        "which",
        (F(P("last_quarter")), CAT, n_signals),
    )

    # ---- customer lists
    add("which customers are blocked by the GPU config gap?", customers_list(F(is_gap("no-gpu-config"))))
    add(
        "list the FSI accounts that need horizontal scaling",
        customers_list(F(ind("FSI"), is_gap("no-horizontal-scaling"))),
    )

    # ---- trends
    add("security signals per month", by_month(F(cat("Security"))), "trend")
    add("month over month signal count since september", by_month(F(P("since_september"))), "trend")

    # ---- robustness checks on the intended meaning
    for q, a, kind, chk in Q:
        if kind == "which":
            base, keyfn, metric = chk
            full = ranking(base, keyfn, metric)
            assert len(full) < 2 or full[0][1] > full[1][1], (q, full[:3])
        if kind and "gaprank" in kind:
            keyfn, metric, n = chk
            full = ranking(S, GAP, metric)
            alt = ranking(S, GAP_RAW, metric)
            if kind.startswith("which"):
                assert full[0][1] > full[1][1] and alt[0] == full[0], (q, full[:3], alt[:3])
            else:
                assert alt[:n] == a, (q, a, alt[:n])
                # top-n boundary must not sit inside a tie that changes membership? allowed
                # (ties broken by key ascending per the semantics)
        if kind == "trend":
            ms = [m for m, _ in a]
            first = dt.date(int(ms[0][:4]), int(ms[0][5:]), 1)
            # no holes between first and last month
            y, mth = first.year, first.month
            for m in ms:
                assert m == f"{y:04d}-{mth:02d}", (q, ms)
                mth += 1
                if mth == 13:
                    y, mth = y + 1, 1
    return [(q, a) for q, a, _, _ in Q]


def main():
    rows = build_log()
    gaps = load_gaps()
    S = signals_of(rows, gaps)
    qs = build_questions(S)
    with open(OUT, "w", encoding="utf-8") as fh:
        for i, (q, a) in enumerate(qs, 1):
            fh.write(
                json.dumps({"id": f"t{i:03d}", "question": q, "answer": a, "today": TODAY}, ensure_ascii=False) + "\n"
            )
    print(f"wrote {len(rows)} log rows to {LOG}")
    print(f"wrote {len(qs)} questions to {OUT}")


if __name__ == "__main__":
    main()

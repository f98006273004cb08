"""`ask` on the hand-checked fixture log of test_synthesis: exact answers, their SQL and evidence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fieldsignal.ask.periods import find_period
from fieldsignal.settings import Settings
from fieldsignal.workspace import Workspace
from tests.conftest import engine_settings, run_cli
from tests.test_synthesis import fill

TODAY = dt.date(2026, 11, 25)
INDUSTRY = {"Acme Bank": "FSI", "Gale Mutual": "FSI", "Birch Foods": "Retail", "Cedar Health": "HLS"}


@pytest.fixture
def fast_ws(both_settings: Settings) -> Workspace:
    """The workspace of every test here: on DuckDB, then on PostgreSQL (the same figures on both)."""
    return Workspace(both_settings)


@pytest.fixture
def ws(fast_ws: Workspace) -> Workspace:
    return filled(fast_ws)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def asked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The filled log once per engine for the exact answers below, which only ask (each question filled a
    log of its own: 12 CPU-seconds for 68 questions)."""
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else None
    return filled(Workspace(engine_settings(tmp_path_factory.mktemp("asked") / "ws", url)))


def filled(ws: Workspace) -> Workspace:
    fill(ws)
    with ws.store(write=True) as con:
        for customer, industry in INDUSTRY.items():
            con.execute("UPDATE signals SET industry = ? WHERE customer = ?", [industry, customer])
    return ws


@pytest.mark.parametrize(
    ("question", "rows"),
    [
        ("How many deals did we lose to Vercel?", [[1]]),
        ("how many deals did we lose", [[2]]),
        ("Which gap cost us the most ACV last quarter?", [["Fixed 24x7 pricing", 70_000]]),
        ("Which gap cost us the most ACV in October?", [["No firewall", 100_000]]),
        ("Which customers are blocked by the firewall?", [["Acme Bank"], ["Birch Foods"], ["Gale Mutual"]]),
        ("top 2 gaps by ACV", [["No firewall", 1_300_000], ["Fixed 24x7 pricing", 570_000]]),
        ("how many signals in October?", [[8]]),
        ("How many signals in October 2026 about GPUs", [[2]]),
        ("total ACV at risk for GPU config", [[0]]),
        ("total ACV at risk", [[1_750_000]]),  # not Ivy Credit Union's $210k: a won deal is not at risk
        ("signals per month", [["2026-09", 1], ["2026-10", 8]]),
        ("how many customers in FSI", [[2]]),
        ("how many banks and insurers are blocked", [[2]]),
        (
            "which deals did we lose?",
            [
                ["Birch Foods", 100_000, "Vercel", "No firewall"],
                ["Hazel Retail", 70_000, "Heroku", "Fixed 24x7 pricing"],
            ],
        ),
        ("how many wins this month", [[0]]),
        ("how many wins in october", [[1]]),
        ("how many signals from acmee", [[1]]),
        ("how many escalated signals", [[1]]),
        ("what's on the roadmap - which gaps?", [["Fixed 24x7 pricing", 1]]),
        ("how much ACV did we lose in security gaps since september", [[100_000]]),
        ("who did we lose deals to?", [["Heroku", 1], ["Vercel", 1]]),  # competitors: was a list of customers
        ("who lost to Vercel?", [["Birch Foods"]]),  # a competitor named: who is the customers
        ("what's blocking FSI customers?", [["No firewall", 2]]),  # the gaps: was a list of FSI's customers
        ("what issues do retail customers have?", [["No firewall", 1]]),
        ("what is holding back HLS customers", [["Fixed 24x7 pricing", 1]]),
    ],
)
def test_exact_answers(asked: Workspace, question: str, rows: list[list[Any]]) -> None:
    answer = asked.ask(question, TODAY)
    assert answer.understood, question
    assert answer.rows == rows, (question, answer.query)
    assert (answer.sql.lstrip().upper().startswith("WITH") and "?" in answer.sql) or not answer.params


def test_a_list_of_customers_names_them_even_when_one_is_all(asked: Workspace) -> None:
    """Before: "1 customer (lost to Vercel, all time)." and no table (a lone value shows none): who, unsaid."""
    one = asked.ask("who lost to Vercel?", TODAY)
    assert one.rows == [["Birch Foods"]] and one.sentence == "1 customer (lost to Vercel, all time): Birch Foods."
    several = asked.ask("which customers did we lose?", TODAY)
    assert several.sentence == "2 customers (on lost deals, all time): Birch Foods, Hazel Retail."
    none = asked.ask("Which customers are blocked by custom domains?", TODAY)
    assert none.rows == [] and none.sentence == "0 customers (for No custom domains, all time)."


def test_the_evidence_is_the_signals_behind_the_number(ws: Workspace) -> None:
    lost = ws.ask("How many deals did we lose to Vercel?", TODAY)
    assert lost.signal_ids == [3] and lost.sentence == "1 lost deal (lost to Vercel, all time): Birch Foods."
    every = ws.ask("how many signals", TODAY)  # 9 customers: the first 8 named, the rest in the evidence
    assert every.rows == [[9]] and every.sentence.endswith(
        ": Acme Bank, Birch Foods, Cedar Health, Dune Labs, Elm Retail, Fir Steel, Gale Mutual, Hazel Retail, …."
    )
    top = ws.ask("top 1 gap by signals in october", TODAY)
    assert top.rows == [["No firewall", 3]] and top.signal_ids == [1, 3, 8]  # #2 is a duplicate of #1


def test_answers_agree_with_tally(ws: Workspace) -> None:
    ranking = ws.ask("rank the gaps by signals", TODAY).rows
    tally = [[r.key, r.signals] for r in ws.tally("gap").rows if r.key]
    assert sorted(ranking) == sorted(tally)
    acv = dict(ws.ask("ACV by gap", TODAY).rows)
    assert acv == {r.key: r.acv_usd for r in ws.tally("gap").rows if r.key}


def test_an_unknown_question_gives_no_number(ws: Workspace) -> None:
    answer = ws.ask("what is the weather in Paris", TODAY)
    assert not answer.understood and answer.rows == [] and answer.sql is None and answer.answer is None
    assert answer.unplaced == ["weather", "paris"]
    assert answer.sentence.startswith("I did not understand “weather”, “paris”, so I give no figure")


def test_a_word_it_cannot_place_is_never_dropped(ws: Workspace) -> None:
    """Before: "blocked by teleportation" listed every customer in the log, as if the word were not there."""
    refused = ws.ask("Which customers are blocked by teleportation?", TODAY)
    assert not refused.understood and refused.unplaced == ["teleportation"] and refused.rows == []
    synonym = ws.ask("Which customers are blocked by networking?", TODAY)  # an alias in the taxonomy file
    assert synonym.understood and synonym.query is not None
    assert synonym.query.filters.gaps == ["no-ingress-egress-controls"]
    named = ws.ask("how many signals about user sessions or usage analytics", TODAY)  # words of a gap's name
    assert named.understood and named.rows == [[1]]
    # a category named on its own is read (before: "how many signals about security?" counted every signal)
    for question in ("how many signals about security?", "how many security signals?"):
        about = ws.ask(question, TODAY)
        assert about.query is not None and about.query.filters.categories == ["Security"], question
        assert about.rows == [[3]], question
    cost = ws.ask("what did the lost deals cost?", TODAY)  # "cost" is a figure here, not the Cost category
    assert cost.query is not None and cost.query.filters.categories == []


def test_top_n_keeps_the_rows_tied_with_the_last(ws: Workspace) -> None:
    top = ws.ask("top 3 gaps by customers in October", TODAY)
    assert top.rows == [["No firewall", 3], ["No GPU config", 2], ["Fixed 24x7 pricing", 1], ["No user sessions", 1]]
    one = ws.ask("top 1 gap by customers in October", TODAY)
    assert one.rows == [["No firewall", 3]]
    every = ws.ask("top blockers in October", TODAY)  # no number: every gap, ranked
    assert [r[0] for r in every.rows][:2] == ["No firewall", "No GPU config"] and len(every.rows) == 4


def test_relative_periods_resolve_against_today() -> None:
    cases = {
        "last quarter": (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        "this quarter": (dt.date(2026, 10, 1), TODAY),
        "in october": (dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        "in december": (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),  # the latest December
        "since september": (dt.date(2026, 9, 1), None),
        "last week": (dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
        "this week": (dt.date(2026, 11, 23), TODAY),
        "in q1 2026": (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        "in the last 30 days": (dt.date(2026, 10, 27), TODAY),
        "in 2025": (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    }
    for words, (since, until) in cases.items():
        span, rest = find_period(f"how many signals {words}?", TODAY)
        assert span is not None and span[:2] == (since, until), words
        assert words.split()[-1] not in rest


def test_ask_through_the_cli(ws: Workspace) -> None:
    home = ws.settings.home
    out = run_cli("ask", "How many deals did we lose to Vercel?", "--today", "2026-11-25", "--json", home=home)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["rows"] == [[1]] and data["signal_ids"] == [3] and data["sql"]
    human = run_cli("ask", "top 2 gaps by ACV", home=home)
    assert "No firewall" in human.stdout and "$1,300,000" in human.stdout and "SQL:" in human.stdout
    unknown = run_cli("ask", "tell me a joke", home=home)
    assert unknown.returncode == 1 and "I did not understand “joke”" in unknown.stdout
    refused = run_cli("ask", "how many signals about teleportation", "--json", home=home)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["answer"] is None and json.loads(refused.stdout)["unplaced"] == ["teleportation"]
    assert json.loads(out.stdout)["answer"] == 1  # a value question's figure
    empty = run_cli("ask", "  ", home=home)
    assert empty.returncode == 1 and "ask a question" in empty.stderr


def test_labelled_import_keeps_every_row_as_labelled(fast_ws: Workspace, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "Date,Source,Category,Gap,Use Case Blocked,Customer,Lost Deal?,PM Ticket,Status,Text,Signal Type,ACV\n"
        "2026-10-02,Slack,Security,No firewall,Internet-exposed apps,Acme Bank,No,PM-7,Escalated,needs a WAF,"
        'Product Gap,"$250,000"\n'
        "2026-10-03,Email,,NEW: offline mode,,Acme Bank,yes,,,tablets offline,Loss,90000\n"
        "2026-10-03,Email,,NEW: offline mode,,Acme Bank,yes,,,tablets offline,Loss,90000\n"
        "2026-10-04,Call,,,,,,,,bad row,Rumour,\n"
    )
    from fieldsignal.ingest.labelled import read_labelled

    report = fast_ws.import_labelled(read_labelled(log))
    assert (report.notes_added, report.signals_added) == (3, 3)  # the repeated row is not merged away
    assert len(report.failures) == 1 and "unknown signal type 'Rumour'" in report.failures[0].error
    first, second, _ = (fast_ws.show(i)["signal"] for i in report.signal_ids)
    assert (first.gap, first.status, first.pm_ticket, first.acv_usd, first.decided_by) == (
        "no-firewall",
        "Escalated",
        "PM-7",
        250_000,
        "import",
    )
    history = fast_ws.show(report.signal_ids[0])["history"]
    assert [(h.status, h.who, h.ticket) for h in history][-1] == ("Escalated", "import", "PM-7")
    assert (second.gap, second.new_gap_label, second.lost_deal, second.date) == (
        None,
        "offline mode",
        True,
        dt.date(2026, 10, 3),
    )
    again = fast_ws.import_labelled(read_labelled(log))
    assert again.notes_added == 0 and again.notes_skipped_duplicate == 3


def test_eval_questions_scores_exact_rows(tmp_path: Path) -> None:
    from fieldsignal.eval.runner import run_eval
    from fieldsignal.settings import load_settings
    from fieldsignal.taxonomy import load_taxonomy

    data = tmp_path / "log.jsonl"
    rows = [
        {
            "id": "a",
            "text": "waf please",
            "signal_type": "Loss",
            "gap": "no-firewall",
            "customer": "Acme",
            "competitor": "Vercel",
            "lost_deal": True,
            "acv_usd": 100,
            "date": "2026-10-02",
        },
        {
            "id": "b",
            "text": "own domain",
            "signal_type": "Product Gap",
            "gap": "no-custom-domains",
            "customer": "Birch",
            "acv_usd": 50,
            "date": "2026-10-05",
        },
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    questions = tmp_path / "q.jsonl"
    asked = [
        {"question": "how many deals did we lose to vercel", "answer": [[1]]},
        {"question": "which customers are blocked by custom domains", "answer": ["birch"]},
        {"question": "top 2 gaps by ACV", "answer": [["No custom domains", 50], ["No firewall", 100]]},  # wrong order
        {"question": "tell me a story", "answer": [[0]]},
    ]
    questions.write_text("".join(json.dumps(q | {"today": "2026-11-25"}) + "\n" for q in asked))
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing")
    report = run_eval(data, settings, load_taxonomy(), questions=questions)["questions"]
    assert (report["accuracy"], report["n"]) == (0.5, 4)
    assert [f["question"] for f in report["failures"]] == ["top 2 gaps by ACV", "tell me a story"]
    assert report["failures"][1]["got"] == "not understood"


def test_dates_and_numbers_in_a_question_are_read_or_refused(ws: Workspace) -> None:
    from fieldsignal.ask.periods import find_period

    today = dt.date(2026, 11, 25)
    cases = {
        "since 2026-10-15": (dt.date(2026, 10, 15), None),
        "from 2026-10-01 to 2026-10-21": (dt.date(2026, 10, 1), dt.date(2026, 10, 21)),
        "before 2026-10-01": (None, dt.date(2026, 10, 1)),
        "on 2026-10-20": (dt.date(2026, 10, 20), dt.date(2026, 10, 20)),
    }
    for words, (since, until) in cases.items():
        span, _ = find_period(f" how many signals {words} ", today)
        assert span is not None and span[:2] == (since, until), words
    assert ws.ask("how many signals from 2026-10-20 to 2026-10-21", TODAY).rows == [[2]]
    amount = ws.ask("how many deals over 100000", TODAY)  # an amount it cannot read is not dropped
    assert not amount.understood and amount.unplaced == ["100000"]
    assert ws.ask("top 2 gaps by ACV", TODAY).understood  # "top N" reads its number


def test_figure_synonyms_come_from_the_taxonomy_file(ws: Workspace) -> None:
    same = ws.ask("total pipeline at risk for the firewall", TODAY)
    assert same.understood and same.rows == ws.ask("total ACV at risk for the firewall", TODAY).rows == [[1_200_000]]
    from fieldsignal.taxonomy import Taxonomy

    edited = Taxonomy.model_validate({**ws.taxonomy.model_dump(), "ask_synonyms": {"moolah": "acv"}})
    ws.parts.taxonomy = edited  # a user's copy of the file with their own word
    assert ws.ask("total moolah for the firewall", TODAY).rows == ws.ask("total ACV for the firewall", TODAY).rows


def test_the_sentence_names_every_row_tied_for_the_lead_and_counts_in_the_singular() -> None:
    """Before: "No custom domains leads with 1 signals" when three gaps had one signal each."""
    from fieldsignal.ask.answer import sentence
    from fieldsignal.models import Query
    from fieldsignal.taxonomy import load_taxonomy

    top = Query(shape="ranking", group_by="gap", limit=1, period_label="this month")
    rows = [["No custom domains", 1], ["No horizontal scaling", 1], ["Vertical only", 1]]
    tied = sentence(top, rows, load_taxonomy())
    assert tied == "No custom domains, No horizontal scaling and Vertical only tie with 1 signal each (this month)."
    assert sentence(top, rows[:1], load_taxonomy()) == "No custom domains leads with 1 signal (this month)."
    ranked = Query(shape="ranking", group_by="gap", measure="acv")
    money = sentence(ranked, [["No firewall", 300_000], ["Vertical only", 300_000], ["SSO", 5]], load_taxonomy())
    assert money.startswith("3 gaps by ACV; No firewall and Vertical only tie with $300,000 ACV each")
    assert sentence(ranked, [["SSO", 5]], load_taxonomy()).startswith("1 gap by ACV; SSO leads with $5 ACV")

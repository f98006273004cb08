"""Money: the deterministic parser on its own phrasings, and the learned scorer that picks the deal's amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldsignal.triage.acv import AcvScorer
from fieldsignal.triage.usd_amounts import amounts

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "annual", "period"),
    [
        ("ACV is $1.2M", 1_200_000, "year"),
        ("a 250k deal", 250_000, ""),
        ("USD 160k opportunity", 160_000, ""),
        ("USD250K for the apps tier", 250_000, ""),
        ("250k$ deal", 250_000, ""),
        ("apps $ 1.4 MM /yr", 1_400_000, "year"),
        ("they'd pay $85k/yr", 85_000, "year"),
        ("deal size 1,250,000 USD", 1_250_000, ""),
        ("the Apps price is 600.000 USD yearly", 600_000, "year"),
        ("1.35M TCV", 1_350_000, ""),
        ("250 grand a year", 250_000, "year"),
        ("Quarter mil annual", 250_000, "year"),
        ("half a mil a year", 500_000, "year"),
        ("a hundred grand", 100_000, ""),
        ("Three hundred twenty K a year", 320_000, "year"),
        ("the deal is of one hundred thousands dollars by year", 100_000, "year"),
        ("ACV for Apps: forty-four thousand", 44_000, "year"),
        ("$20k/month for the platform deal", 240_000, "month"),
        ("$25k a month", 300_000, "month"),
        ("Apps $90k per qtr", 360_000, "quarter"),
        ("quarterly payments of $62,500", 250_000, "quarter"),
        ("billed quarterly at 150,000", 600_000, "quarter"),
        ("60k per quarter for 2 years", 240_000, "quarter"),
        ("$1.5M over 3 years", 500_000, "term"),
        ("three-year deal, $900K TCV", 300_000, "term"),
        ("TCV 900k over 36 months", 300_000, "term"),
        ("24-month term, $600k total", 300_000, "term"),
        ("18 months, $450k total", 300_000, "term"),
        ("ten-year agreement worth $5M", 500_000, "term"),
        ("TCV: $750,000 | Term: 60 months | Product: Apps", 150_000, "term"),
        ("Amount: $450,000.00 | Term: 12 months", 450_000, ""),
        ("deal size: 450000", 450_000, ""),
    ],
)
def test_money_forms_and_their_annual_value(text: str, annual: int, period: str) -> None:
    found = amounts(text)
    assert [(a.usd, a.period) for a in found] == [(annual, period)], found


@pytest.mark.parametrize(
    "text",
    [
        "€200k deal",
        "CAD 140k/yr for Apps",
        "£90k a year",
        "300k euros",
        "5 users, 3 apps, in 2025, v2.3",
        "ticket JIRA-12345",
        "happy to spend a few hundred K",
        "six figures, no number yet",
        "no numbers in this note at all",
    ],
)
def test_no_usd_amount(text: str) -> None:
    assert amounts(text) == []


def test_bare_numbers_are_candidates_but_marked_as_bare() -> None:
    written, bare = amounts("Amount $300k; 45000 rows loaded")
    assert (written.usd, written.marked) == (300_000, True) and (bare.usd, bare.marked) == (45_000, False)


@pytest.fixture(scope="module")
def scorer() -> AcvScorer:
    rows = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines() if line]
    return AcvScorer().fit([r["text"] for r in rows], [r["acv_usd"] for r in rows])


_ALONE = "known weakness: a lone non-deal amount with no deal amount beside it is taken as the deal's"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Snowflake quoted $40k, our deal is $300k", 300_000),
        ("Retool at $50k/yr vs our $200k ACV", 200_000),
        ("lost to Snowflake, $500k", 500_000),
        # passed with the 20-writer corpus, failed with the 28-writer one (the same weakness as below), passes again
        # with the 36-writer one
        ("they got $25k in credits from AWS", None),
        pytest.param("they spend $3M/yr on AWS already", None, marks=pytest.mark.xfail(strict=True, reason=_ALONE)),
        pytest.param("company revenue is $2B", None, marks=pytest.mark.xfail(strict=True, reason=_ALONE)),
    ],
)
def test_the_scorer_trained_on_the_corpus_picks_the_deal_amount(scorer: AcvScorer, text: str, expected: int) -> None:
    assert scorer.predict(text)[0] == expected

"""Deal-field extraction from the bundled taxonomy's competitor list and cues."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldsignal.agent.extract import Extractor
from fieldsignal.models import NoteInput
from fieldsignal.taxonomy import load_taxonomy

X = Extractor(load_taxonomy())


def fields(text: str, **kw: object):  # type: ignore[no-untyped-def]
    return X.extract(NoteInput(text=text, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Closed lost: they went with AWS App Runner because it scales out.", "AWS"),
        ("They're evaluating Streamlit in Snowflake side by side with us", "Snowflake"),
        ("bake-off vs Palantir Foundry next week, their CDO likes the ontology stuff", "Palantir"),
        ("Customer is an AWS shop, everything in us-east-1. Needs a WAF in front of the app.", None),
        ("they run on Azure, need the app on their own domain", None),
        ("the designer wants the hex color of the header changed", None),
        ("Lost it to Retool, cheaper per seat", "Retool"),
    ],
)
def test_competitor_is_company_level_and_ignores_home_clouds(text: str, expected: str | None) -> None:
    assert X.competitor(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Customer: Helix Bank\nThey need IP allow-listing before go-live.", "Helix Bank"),
        ("Call w/ Carraway Health today. Security wants a pen test report.", "Carraway Health"),
        ("Quick one from the Northwind Grocers sync: they want replicas behind a load balancer", "Northwind Grocers"),
        ("no customer named here, just a general gripe about idle billing", None),
    ],
)
def test_customer(text: str, expected: str | None) -> None:
    assert fields(text).customer == expected


def test_known_customers_are_recognised_in_any_case() -> None:
    assert X.customer("again the helix bank folks asked about it", known=("Helix Bank",)) == "Helix Bank"


def test_structured_hint_wins_over_text() -> None:
    assert fields("Acme Corp wants a WAF", customer="Helix Bank").customer == "Helix Bank"


def test_industry_archetype_acv_date() -> None:
    f = fields("Regional bank, fraud detection app. Deal is $1.5M over 3 years. Met them 2026-10-21.")
    assert (f.industry, f.archetype, f.acv_usd, f.date) == ("FSI", "Vertical", 500_000, dt.date(2026, 10, 21))
    f = fields("Hospital network wants a clinical ops dashboard, ~250k")
    assert (f.industry, f.archetype, f.acv_usd) == ("HLS", "Cockpit", 250_000)
    assert fields("they pay Snowflake $2M a year; our deal is USD 160k").acv_usd == 160_000


def test_signal_cues_count_per_type() -> None:
    cues = X.signal_cues("Closed-lost. They went with Retool.")
    assert cues["Loss"] >= 1
    assert cues.get("Win", 0) == 0

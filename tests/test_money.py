import pytest

from fieldsignal.agent.money import parse_acv

COMPETITORS = ("Snowflake", "Streamlit in Snowflake", "SiS", "AWS", "Retool")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACV is $1.2M", 1_200_000),
        ("a 250k deal", 250_000),
        ("USD 160k opportunity", 160_000),
        ("they'd pay $85k/yr", 85_000),
        ("$1.5M over 3 years", 500_000),
        ("three-year deal, $900K TCV", 300_000),
        ("$20k/month for the platform deal", 240_000),
        ("~$400K ARR at risk", 400_000),
        ("deal size 1,250,000 USD", 1_250_000),
        ("lost to Snowflake, $500k", 500_000),
        ("Snowflake quoted $40k, our deal is $300k", 300_000),
        ("Retool at $50k/yr vs our $200k ACV", 200_000),
    ],
)
def test_acv_forms(text: str, expected: int) -> None:
    assert parse_acv(text, COMPETITORS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "they got $25k in credits from AWS",
        "they spend $3M/yr on AWS already",
        "SiS quoted them $60k",
        "€200k deal",
        "5 users, latency 10m, 3 apps",
        "no numbers in this note at all",
        "company revenue is $2B",
    ],
)
def test_not_acv(text: str) -> None:
    assert parse_acv(text, COMPETITORS) is None

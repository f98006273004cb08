from __future__ import annotations

import datetime as dt

import numpy as np

from fieldsignal.dedupe.candidates import Candidate, customer_key, find_original, same_signal


def c(
    id_: int,
    customer: str | None,
    gap: str | None,
    day: int = 1,
    note: int | None = None,
    new: bool = False,
    vec: list[float] | None = None,
    dup: int | None = None,
) -> Candidate:
    v = np.asarray(vec, dtype=np.float32) if vec else None
    return Candidate(
        id=id_,
        note_id=note or id_,
        customer=customer,
        gap=gap,
        new_gap=new,
        date=dt.date(2026, 10, day),
        vector=v,
        duplicate_of=dup,
    )


def test_customer_key_ignores_case_suffix_and_possessive() -> None:
    assert customer_key("Helix Bank Inc.") == customer_key("helix bank") == customer_key("Helix Bank's")
    assert customer_key("Helix Bank") != customer_key("Helix Health")
    assert customer_key(None) is None and customer_key("  ") is None


def test_same_customer_same_gap_is_a_repeat() -> None:
    assert same_signal(c(2, "Helix Bank", "no-firewall", 9), c(1, "HELIX BANK INC", "no-firewall", 2))


def test_hard_non_duplicates() -> None:
    first = c(1, "Helix Bank", "no-firewall")
    assert not same_signal(c(2, "Orbis Freight", "no-firewall"), first)  # other customer
    assert not same_signal(c(3, "Helix Bank", "no-custom-domains"), first)  # other gap
    assert not same_signal(c(4, None, "no-firewall"), first)  # no customer named
    assert not same_signal(c(5, "Helix Bank", "no-firewall", note=1), first)  # same note
    far = Candidate(id=6, note_id=6, customer="Helix Bank", gap="no-firewall", new_gap=False, date=dt.date(2027, 6, 1))
    assert not same_signal(far, first)  # months later: a new report


def test_new_gap_proposals_match_by_meaning() -> None:
    a = c(1, "Quasar Labs", None, new=True, vec=[1.0, 0.0])
    close = c(2, "Quasar Labs", None, new=True, vec=[0.95, 0.312])
    other = c(3, "Quasar Labs", None, new=True, vec=[0.0, 1.0])
    assert same_signal(close, a)
    assert not same_signal(other, a)


def test_find_original_follows_chains_to_the_first_report() -> None:
    first = c(1, "Helix Bank", "no-firewall", 1)
    second = c(2, "Helix Bank", "no-firewall", 5, dup=1)
    assert find_original(c(3, "Helix Bank", "no-firewall", 9), [second, first]) == 1
    assert find_original(c(4, "Helix Bank", "no-gpu-config", 9), [second, first]) is None

"""Duplicates as a log meets them: notes replayed in date order, and the bars set on the replayed logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from fieldsignal.dedupe.candidates import Candidate
from fieldsignal.dedupe.replay import Decision, log_figures, replay
from fieldsignal.dedupe.training import (
    ASK_PRECISION,
    corpus_pairs,
    first_reports,
    fit,
    log_ask_bar,
    log_bar,
    log_decisions,
    pair_arrays,
)


def cand(note: int, customer: str | None, gap: str, vec: Any, day: int) -> Candidate:
    v = np.asarray(vec, dtype=np.float64)
    return Candidate(
        id=note * 100, note_id=note, customer=customer, gap=gap, new_gap=False, date=dt.date(2026, 1, 1)
        + dt.timedelta(days=day), vector=v / np.linalg.norm(v), text=f"{customer or 'they'} on {gap}",
        gap_probs={gap: 0.8}, signal_type="Product Gap",
    )  # fmt: skip


class Table:
    """A scorer whose probabilities are given: (earlier note, later note) -> p; unnamed pairs 0."""

    link, ask = 0.6, 0.3

    def __init__(self, p: dict[tuple[int, int], float], refuse: frozenset[tuple[int, int]] = frozenset()) -> None:
        self.p, self.refuse = p, refuse

    def probabilities(self, old: list[Candidate], new: Candidate) -> np.ndarray:
        return np.asarray([self.p.get((c.note_id, new.note_id), 0.0) for c in old])

    def may_link(self, old: Candidate, new: Candidate) -> bool:
        return (old.note_id, new.note_id) not in self.refuse


def test_each_note_meets_only_earlier_notes_and_keeps_its_most_alike() -> None:
    found = {n: [cand(n, "Helix", "no-firewall", [1, n], n)] for n in range(4)}
    table = Table({(0, 1): 0.4, (0, 2): 0.9, (1, 2): 0.7, (2, 3): 0.65, (3, 2): 0.99}, refuse=frozenset({(2, 3)}))
    decisions = replay([[0, 1, 2, 3]], found, table)
    # note 0 meets nothing; (3, 2) is never scored: note 3 comes after note 2
    assert decisions == [Decision(1, 0, 0.4, True), Decision(2, 0, 0.9, True), Decision(3, 2, 0.65, False)]
    roots = [0, 1, 0, 3]  # note 2 repeats note 0; 1 and 3 are stories of their own
    figures = log_figures(decisions, roots, table.link, table.ask)
    # linked: 2 -> 0 (right); 3 -> 2 is over the bar but may not be linked, so it is asked, as is 1 -> 0
    assert (figures["links"], figures["links_right"], figures["second_reports"]) == (1, 1, 1)
    assert (figures["questions"], figures["questions_right"], figures["f1"]) == (2, 0, 1.0)


def synthetic_corpus(seed: int = 5) -> tuple[list[dict[str, Any]], dict[int, list[Candidate]]]:
    """Six writers, each a log of stories about two gaps: a third of the notes retell an earlier story of
    their writer (its customer, a nearby vector); a third name no customer, as a triage that missed it."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    found: dict[int, list[Candidate]] = {}
    for w in range(6):
        stories: list[tuple[int, str, str, np.ndarray]] = []
        for day in range(36):
            n = len(rows)
            if stories and rng.random() < 0.33:
                first, customer, gap, base = stories[int(rng.integers(len(stories)))]
                vec, repeats = base + rng.normal(scale=0.5, size=6), rows[first]["id"]
            else:
                customer, gap = f"Co{w}-{int(rng.integers(12))}", ["no-firewall", "vertical-only"][day % 2]
                base = rng.normal(size=6) + (3.0 if gap == "no-firewall" else -3.0)
                vec, repeats = base, None
                stories.append((n, customer, gap, base))
            date = str(dt.date(2026, 1, 1) + dt.timedelta(days=day))
            row = {"id": f"w{w}-{day}", "writer": f"w{w}", "customer": customer, "gap": gap, "date": date}
            rows.append(row | {"duplicate_of": repeats})
            read = None if rng.random() < 0.33 else customer
            found[n] = [cand(n, read, gap, vec, day)]
    return rows, found


def test_the_bars_are_set_where_linking_works_best_in_a_replayed_log() -> None:
    rows, found = synthetic_corpus()
    arrays = pair_arrays(rows, corpus_pairs(rows), found)
    on_pairs = fit(*arrays)
    on_logs = log_bar(rows, found, arrays, on_pairs)
    decisions = log_decisions(rows, found, arrays, on_pairs.words)
    roots = first_reports(rows)
    assert decisions and {d.note for d in decisions} <= set(found)

    def f1(bar: float) -> float:
        return float(log_figures(decisions, roots, bar, on_pairs.ask)["f1"])

    tried = sorted({d.probability for d in decisions} | {on_pairs.link})
    assert f1(on_logs.link) == max(f1(bar) for bar in tried) > 0
    assert on_logs.figures["log_f1"] == f1(on_logs.link) and on_logs.figures["f1"] == on_pairs.figures["f1"]
    assert on_logs.ask == log_ask_bar(decisions, roots, on_logs.link) <= on_logs.link


def test_the_review_bar_is_the_lowest_where_1_in_4_questions_are_about_the_notes_own_story() -> None:
    right = [0.9, 0.6, 0.05]  # second reports, their most alike earlier note their own story's
    wrong = [0.65, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1]  # notes whose most alike earlier note is another's
    decisions = [Decision(1 + n, 0, p, True) for n, p in enumerate(right)]
    decisions += [Decision(10 + n, 9, p, True) for n, p in enumerate(wrong)]
    roots = [0] * 4 + list(range(4, 20))  # notes 1-3 retell note 0; the rest are their own stories
    bar = log_ask_bar(decisions, roots, link=0.75)
    assert bar == 0.4  # asked from 0.4: 0.65, 0.6, 0.5, 0.4 -> 1 in 4; from 0.05 only 2 in 10
    asked = log_figures(decisions, roots, 0.75, bar)
    assert (asked["questions"], asked["questions_right"]) == (4, 1) and ASK_PRECISION == 0.25


def test_the_candidates_include_the_signals_of_the_nearest_notes_whatever_their_quotes() -> None:
    from fieldsignal.dedupe.candidates import NEAREST, NEAREST_NOTES, nearest

    rng = np.random.default_rng(3)

    def unit(v: Any) -> np.ndarray:
        return np.asarray(v, dtype=np.float64) / np.linalg.norm(v)

    story = unit(rng.normal(size=16))
    earlier = []
    for n in range(1, 60):  # many earlier notes, each quoting something the new quote is closer to
        c = cand(n, f"Account {n}", "no-firewall", rng.normal(size=16), n)
        c.note_vector = unit(rng.normal(size=16))
        earlier.append(c)
    first = cand(60, "Orbis Freight", "no-firewall", -story, 60)  # its quote: the farthest there is
    first.note_vector = unit(story + 0.05 * rng.normal(size=16))  # its note: the story itself
    second_signal = cand(60, "Orbis Freight", "no-sso", rng.normal(size=16), 60)
    second_signal.id, second_signal.note_vector = 6001, first.note_vector
    new = cand(61, "OF", "no-firewall", story, 61)  # another name for the customer; its quote near the story
    new.note_vector = story
    picked = nearest([*earlier, first, second_signal], new)
    ids = [c.id for c in picked]
    assert first.id in ids and second_signal.id in ids  # the nearest note's every signal, its quote far off
    assert len(ids) == len(set(ids)) <= NEAREST + NEAREST_NOTES * 2
    new.note_vector = None  # a note without its vector: the quotes alone, as before
    assert first.id not in [c.id for c in nearest([*earlier, first, second_signal], new)]

"""The learnt combination of the two gap heads (fieldsignal.triage.gapset): pure numpy, synthetic heads."""

from __future__ import annotations

import numpy as np

from fieldsignal.triage.gapset import GapSet
from fieldsignal.triage.heads import Head
from fieldsignal.triage.model import _gaps

CLASSES = ["(none)", "no-firewall", "no-gpu-config", "lakebase-only"]


def synthetic(
    trust_more: bool, n: int = 600, seed: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray], list[set[str]]]:
    """Two heads that disagree on a third of the notes; the labels side with one of them."""
    rng = np.random.default_rng(seed)
    main = rng.dirichlet(np.ones(len(CLASSES)) * 0.3, size=n)
    more = {c: rng.uniform(0, 1, n) for c in CLASSES[1:]}
    gold = []
    for i in range(n):
        if trust_more:
            gold.append({c for c in CLASSES[1:] if more[c][i] > 0.5})
        else:
            top = CLASSES[int(main[i].argmax())]
            gold.append(set() if top == "(none)" else {top})
    return main, more, gold


def fitted(trust_more: bool) -> GapSet:
    main, more, gold = synthetic(trust_more)

    def heads(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
        return main[held], CLASSES, {c: p[held] for c, p in more.items()}

    groups = np.asarray([f"w{i % 6}" for i in range(len(gold))])
    return GapSet().fit(heads, np.arange(len(gold)), groups, gold, CLASSES)


def disagreeing_note() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The main head is sure there is no gap; the further-gaps head is sure of no-firewall."""
    main = np.asarray([[0.9, 0.04, 0.03, 0.03]])
    more = {"no-firewall": np.asarray([0.95]), "no-gpu-config": np.asarray([0.05]), "lakebase-only": np.asarray([0.1])}
    return main, more


def test_the_combination_follows_whichever_head_the_labels_bear_out() -> None:
    main, more = disagreeing_note()
    decided = fitted(trust_more=True).decide(main, CLASSES, more)
    assert decided is not None
    chosen, none = decided[0]
    assert [g for g, _ in chosen] == ["no-firewall"] and none < 0.5

    decided = fitted(trust_more=False).decide(main, CLASSES, more)
    assert decided is not None
    chosen, none = decided[0]
    assert chosen == [] and none > 0.5


def test_its_probabilities_are_calibrated_on_notes_it_did_not_learn_from() -> None:
    model = fitted(trust_more=True)
    main, more, gold = synthetic(trust_more=True, n=2000, seed=1)
    decided = model.decide(main, CLASSES, more)
    assert decided is not None
    sure = [(q, g in truth) for (chosen, _), truth in zip(decided, gold, strict=True) for g, q in chosen]
    confidence = np.mean([q for q, _ in sure])
    accuracy = np.mean([ok for _, ok in sure])
    assert abs(confidence - accuracy) < 0.05


def test_without_gap_sets_to_learn_from_nothing_is_combined() -> None:
    groups = np.asarray(["w1", "w2"] * 10)
    model = GapSet().fit(
        lambda t, h: (np.zeros((len(h), 4)), CLASSES, {}), np.arange(20), groups, [set()] * 20, CLASSES
    )
    assert model.decide(*disagreeing_note()[:1], CLASSES, {}) is None


def test_a_note_with_no_gap_has_no_further_gaps_and_the_main_gap_leads_the_alternatives() -> None:
    head = Head()
    head.classes = CLASSES
    probs = np.asarray([0.6, 0.3, 0.05, 0.05])
    present = {"no-gpu-config": np.asarray([0.9])}
    ranked, more = _gaps(head, probs, present, 0, ([], 0.7))
    assert ranked[0] == (None, 0.7) and more == []
    assert [g for g, _ in ranked[1:]] == ["no-firewall", "no-gpu-config", "lakebase-only"]
    assert abs(sum(p for _, p in ranked) - 1.0) < 1e-9  # still a distribution over the main gap

    ranked, more = _gaps(head, probs, present, 0, ([("no-gpu-config", 0.8), ("no-firewall", 0.6)], 0.05))
    assert ranked[0] == ("no-gpu-config", 0.8) and more == [("no-firewall", 0.6)]
    assert None in [g for g, _ in ranked[1:]]

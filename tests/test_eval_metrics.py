"""Evaluation metrics: known answers worked out by hand."""

from __future__ import annotations

import pytest

from fieldsignal.eval.metrics import calibration, classification_report, set_prf
from fieldsignal.triage.compare import norm_name


def test_classification_report_counts_none_as_a_class() -> None:
    report = classification_report(["a", "a", None, "b"], ["a", "b", None, "b"])
    assert report["accuracy"] == 0.75
    assert report["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert report["per_class"]["b"]["precision"] == 0.5
    assert report["per_class"]["(none)"]["f1"] == 1.0
    assert report["macro_f1"] == pytest.approx((0.6667 + 0.6667 + 1.0) / 3, abs=1e-4)


def test_calibration_bins_and_ece() -> None:
    conf = [0.95, 0.95, 0.95, 0.95, 0.55, 0.55]
    right = [True, True, True, False, True, False]
    cal = calibration(conf, right)
    assert [b["range"] for b in cal["bins"]] == ["0.5-0.6", "0.9-1.0"]
    top = cal["bins"][1]
    assert top["n"] == 4 and top["accuracy"] == 0.75 and top["confidence"] == 0.95
    # ECE = 4/6·|0.95-0.75| + 2/6·|0.55-0.5|
    assert cal["ece"] == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.05, abs=1e-4)
    assert calibration([1.0], [True])["bins"][0]["range"] == "0.9-1.0"  # 1.0 falls in the top bin


def test_set_prf_and_names() -> None:
    assert set_prf([{"a", "b"}, {"c"}], [{"a"}, {"c", "d"}]) == {
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
        "n": 2,
    }
    assert norm_name("The Oakhurst Retail, Inc.") == "oakhurst retail"


def test_the_bare_cosine_baseline_takes_its_best_bar_on_the_pairs_and_both_rankings_get_an_auc() -> None:
    """Worked by hand: cosines 1.0, 0.8 (duplicates), 0.9, 0.0 (not): the best bar is 0.8 (P 2/3, R 1,
    F1 0.8); the cosine ranks 3 of the 4 duplicate/non-duplicate orderings right (AUC 0.75); the
    scorer's probabilities rank all four right."""
    import numpy as np

    from fieldsignal.eval.dupes import Pair, against_bare_cosine
    from fieldsignal.models import NoteInput
    from fieldsignal.records import Candidate

    angles = {"a": 0.0, "b": 0.0, "c": 0.6435, "d": 0.4510, "e": np.pi / 2}  # cos 0.6435 = 0.8, cos 0.4510 = 0.9
    found = {t: [Candidate(1, 1, None, None, False, None, note_vector=np.array([np.cos(x), np.sin(x)]))]
             for t, x in angles.items()}  # fmt: skip
    pairs = [Pair(text_a=x, text_b=y, is_duplicate=d) for x, y, d in
             [("a", "b", True), ("a", "c", True), ("a", "d", False), ("a", "e", False)]]  # fmt: skip
    notes = [NoteInput(text=t) for p in pairs for t in (p.text_a, p.text_b)]
    report = against_bare_cosine(pairs, notes, found, [0.9, 0.7, 0.6, 0.1])
    assert report["auc"] == 1.0
    assert report["bare_cosine"] == {"auc": 0.75, "best_f1": 0.8, "best_bar": 0.8}

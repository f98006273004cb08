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

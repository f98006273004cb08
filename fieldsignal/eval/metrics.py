"""Accuracy, macro-F1 and per-class precision/recall for label fields."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any


def classification_report(gold: Sequence[Any], pred: Sequence[Any]) -> dict[str, Any]:
    """{"accuracy", "macro_f1", "n", "per_class": {label: {precision, recall, f1, support}}}.

    None is a class of its own ("(none)"); macro-F1 averages over the gold classes.
    """
    n = len(gold)
    if n == 0:
        return {"accuracy": None, "macro_f1": None, "n": 0, "per_class": {}}
    key = ["(none)" if g is None else str(g) for g in gold]
    out = ["(none)" if p is None else str(p) for p in pred]
    correct = sum(g == p for g, p in zip(key, out, strict=True))
    per_class: dict[str, dict[str, float]] = {}
    support = Counter(key)
    predicted = Counter(out)
    for label in sorted(support):
        tp = sum(g == p == label for g, p in zip(key, out, strict=True))
        precision = tp / predicted[label] if predicted[label] else 0.0
        recall = tp / support[label]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support[label],
        }
    macro = sum(c["f1"] for c in per_class.values()) / len(per_class)
    return {"accuracy": round(correct / n, 4), "macro_f1": round(macro, 4), "n": n, "per_class": per_class}


def confusions(gold: Sequence[Any], pred: Sequence[Any], top: int = 8) -> list[tuple[str, str, int]]:
    pairs = Counter(
        ("(none)" if g is None else str(g), "(none)" if p is None else str(p))
        for g, p in zip(gold, pred, strict=True)
        if g != p
    )
    return [(g, p, c) for (g, p), c in pairs.most_common(top)]


def set_prf(gold_sets: Sequence[set[str]], pred_sets: Sequence[set[str]]) -> dict[str, Any]:
    tp = sum(len(g & p) for g, p in zip(gold_sets, pred_sets, strict=True))
    n_pred = sum(len(p) for p in pred_sets)
    n_gold = sum(len(g) for g in gold_sets)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "n": len(gold_sets)}


CALIBRATION_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def calibration(confidence: Sequence[float], correct: Sequence[bool]) -> dict[str, Any]:
    """Reliability of a confidence: per bin, its mean and the accuracy seen; ECE is their weighted gap.

    A well-calibrated 0.8 is right eight times in ten, so a review threshold means what it says.
    """
    n = len(confidence)
    bins = []
    ece = 0.0
    for low, high in itertools.pairwise(CALIBRATION_EDGES):
        members = [(c, ok) for c, ok in zip(confidence, correct, strict=True) if low <= c < high]
        if not members:
            continue
        mean_conf = sum(c for c, _ in members) / len(members)
        accuracy = sum(ok for _, ok in members) / len(members)
        ece += len(members) / n * abs(mean_conf - accuracy)
        bins.append(
            {
                "range": f"{low:.1f}-{min(high, 1.0):.1f}",
                "n": len(members),
                "confidence": round(mean_conf, 4),
                "accuracy": round(accuracy, 4),
            }
        )
    return {"ece": round(ece, 4) if n else None, "bins": bins}

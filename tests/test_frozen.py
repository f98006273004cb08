"""The numpy stand-ins of fitted scikit-learn models give scikit-learn's answers (triage/frozen.py)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.murmurhash import murmurhash3_32 as sk_murmur

from fieldsignal.triage.frozen import Calibrated, Hashing, SparseRows, freeze_estimator, murmurhash3_32

RNG = np.random.default_rng(0)
X = RNG.standard_normal((240, 12))
GROUPS = np.repeat(np.arange(6), 40)
TEXTS = [
    "Kestrel Bank went with Snowflake: $1.2M over 3 yrs",
    "  ÉLAN Café   needs SSO via Okta — blocked 🚫 until Q3 ",
    "a b",
    "",
    "数据 platform, naïve façade; x",
]


@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "abcd", "abcde", "naïve", "🚫", "Kestrel Bank ×3"])
def test_murmurhash_matches_scikit_learn(text: str) -> None:
    assert murmurhash3_32(text.encode()) == sk_murmur(text.encode(), seed=0)


def test_scaler_and_logistic_regressions_match() -> None:
    scaler = StandardScaler().fit(X)
    assert np.allclose(freeze_estimator(scaler).transform(X[:9]), scaler.transform(X[:9]))
    for y in (X[:, 0] > 0, np.digitize(X[:, 1], [-0.5, 0.5]).astype(str)):  # two classes, three classes
        model = LogisticRegression(C=0.5, max_iter=500).fit(X, y)
        frozen = freeze_estimator(model)
        assert frozen.classes_.tolist() == model.classes_.tolist()
        assert np.allclose(frozen.predict_proba(X[:20]), model.predict_proba(X[:20]), atol=1e-10)


def test_sigmoid_calibration_over_writer_folds_matches_even_when_a_fold_lacks_a_class() -> None:
    y = np.digitize(X[:, 1], [-0.5, 0.5]).astype(object)
    y[(GROUPS == 2) & (y == 2)] = 1  # the rarest class appears in some writers' rows only
    y[GROUPS >= 3] = np.where(y[GROUPS >= 3] == 2, 0, y[GROUPS >= 3])
    splits = list(GroupKFold(n_splits=3).split(X, y, GROUPS))
    for labels in (y.astype(str), (X[:, 0] > 0).astype(str)):
        base = LogisticRegression(C=1.0, max_iter=500, class_weight="balanced")
        model = CalibratedClassifierCV(base, method="sigmoid", cv=splits).fit(X, labels)
        frozen = freeze_estimator(model)
        assert isinstance(frozen, Calibrated)
        assert np.allclose(frozen.predict_proba(X[:40]), model.predict_proba(X[:40]), atol=1e-10)


def test_boosted_trees_match_with_missing_values() -> None:
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=0).fit(X, y)
    probe = X[:30].copy()
    probe[::4, 0] = np.nan
    assert np.allclose(freeze_estimator(model).predict_proba(probe), model.predict_proba(probe), atol=1e-10)


def test_boosted_trees_match_for_several_classes_and_one_row() -> None:
    y = np.digitize(X[:, 0] + X[:, 2], [-0.7, 0.0, 0.7])  # four classes: one tree per class per round
    model = HistGradientBoostingClassifier(max_iter=25, max_leaf_nodes=9, random_state=0).fit(X, y)
    frozen = freeze_estimator(model)
    probe = X[:25].copy()
    probe[1::5, 2] = np.nan
    assert np.allclose(frozen.predict_proba(probe), model.predict_proba(probe), atol=1e-10)
    assert np.allclose(frozen.predict_proba(probe[:1]), model.predict_proba(probe[:1]), atol=1e-10)


@pytest.mark.parametrize("ensemble", [True, False])
def test_calibrated_boosted_trees_match_as_the_duplicate_scorer_fits_them(ensemble: bool) -> None:
    """Sigmoid calibration over the trees' raw scores (three forests, or one with ensemble=False)."""
    y = X[:, 0] * X[:, 1] + 0.3 * X[:, 2] > 0.2  # an interaction: what a linear model cannot weigh
    base = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0)
    model = CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=ensemble).fit(X, y)
    frozen = freeze_estimator(model)
    assert isinstance(frozen, Calibrated) and len(frozen.folds) == (3 if ensemble else 1)
    probe = X[:30].copy()
    probe[::7, 1] = np.nan
    assert np.allclose(frozen.predict_proba(probe), model.predict_proba(probe), atol=1e-10)
    forest = freeze_estimator(base.fit(X, y))
    assert np.allclose(forest.decision_function(probe), base.decision_function(probe), atol=1e-10)


@pytest.mark.parametrize(
    "options",
    [
        {"n_features": 2**12, "analyzer": "char_wb", "ngram_range": (2, 4)},
        {"n_features": 2**14, "token_pattern": r"\S+"},
        {"n_features": 2**10, "ngram_range": (1, 2)},
    ],
)
def test_hashed_features_match(options: dict[str, object]) -> None:
    vectorizer = HashingVectorizer(alternate_sign=False, norm="l2", **options)  # type: ignore[arg-type]
    frozen = freeze_estimator(vectorizer)
    assert isinstance(frozen, Hashing)
    assert np.allclose(frozen.transform(TEXTS), vectorizer.transform(TEXTS).toarray())
    rows = frozen.rows(TEXTS)
    assert isinstance(rows, SparseRows)
    expected = (vectorizer.transform(TEXTS[:2]) @ vectorizer.transform(TEXTS).T).toarray()
    assert np.allclose(rows.products(frozen.rows(TEXTS[:2])), expected)


def test_what_is_not_understood_is_left_as_it_is() -> None:
    isotonic = CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=3).fit(X, X[:, 0] > 0)
    assert freeze_estimator(isotonic) is isotonic
    signed = HashingVectorizer(alternate_sign=True)
    assert freeze_estimator(signed) is signed


def test_the_cached_triage_model_loads_without_scikit_learn_or_scipy(
    triage_model_on_the_hashing_encoder: tuple[Any, dict[str, Any]],
) -> None:
    _, bundle = triage_model_on_the_hashing_encoder
    blob = pickle.dumps(bundle["model"])
    probe = (
        "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], input=blob, capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]", done.stderr.decode()

"""Fitted scikit-learn models as plain numpy arithmetic, so reading a note never imports scikit-learn.

Training fits scikit-learn models; the cached triage keeps their fitted parameters in these small
classes instead (`freeze`), with the same `transform` / `predict_proba` / `classes_` the triage code
calls. Importing scikit-learn (and SciPy under it) costs a cold `fieldsignal add` about a second and
100 MiB; these need numpy only. Each is tested equal to the scikit-learn model it replaces
(tests/test_frozen.py): standard scaling, logistic regression, sigmoid calibration over folds,
feature hashing of words and character n-grams (MurmurHash3, as scikit-learn hashes), and histogram
gradient boosting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _dense(x: Any) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float64)


class Scaler:
    """StandardScaler: (x - mean) / scale."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray) -> None:
        self.mean, self.scale = mean, scale

    def transform(self, x: Any) -> np.ndarray:
        return (_dense(x) - self.mean) / self.scale


class Linear:
    """LogisticRegression: binary through the logistic function, several classes through softmax."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> None:
        self.coef, self.intercept, self.classes_ = coef, intercept, classes

    def decision_function(self, x: Any) -> np.ndarray:
        scores = _dense(x) @ self.coef.T + self.intercept
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, x: Any) -> np.ndarray:
        scores = self.decision_function(x)
        if scores.ndim == 1:
            p = _expit(scores)
            return np.stack([1 - p, p], axis=1)
        return _softmax(scores)


class Calibrated:
    """CalibratedClassifierCV (sigmoid): per fold, each class's score through its own logistic curve,
    normalised; the folds' probabilities averaged. A fold's model may have seen only some classes."""

    def __init__(self, folds: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray]], classes: np.ndarray) -> None:
        self.folds = folds  # (model, the classes' columns, slopes a, offsets b)
        self.classes_ = classes

    def predict_proba(self, x: Any) -> np.ndarray:
        x = _dense(x)
        n = len(self.classes_)
        total = np.zeros((x.shape[0], n))
        for model, columns, a, b in self.folds:
            scores = model.decision_function(x)
            scores = scores.reshape(-1, 1) if scores.ndim == 1 else scores
            proba = np.zeros((x.shape[0], n))
            for k, (column, slope, offset) in enumerate(zip(columns, a, b, strict=False)):
                proba[:, column + 1 if n == 2 else column] = _expit(-(slope * scores[:, k] + offset))
            if n == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = proba.sum(axis=1, keepdims=True)
                proba = np.divide(proba, denominator, out=np.full_like(proba, 1 / n), where=denominator != 0)
            proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
            total += proba
        return total / len(self.folds)


class Boosting:
    """HistGradientBoostingClassifier (numeric features): the trees' leaf values summed, then a logistic
    curve (two classes) or softmax."""

    def __init__(self, baseline: np.ndarray, trees: list[list[np.ndarray]], classes: np.ndarray) -> None:
        self.baseline, self.trees, self.classes_ = baseline, trees, classes

    def decision_function(self, x: Any) -> np.ndarray:
        """The raw scores, as scikit-learn's: (rows,) for two classes, (rows, classes) otherwise (what a
        calibrated wrapper reads)."""
        x = _dense(x)
        raw = np.zeros((x.shape[0], self.baseline.shape[-1])) + self.baseline
        forest = self.__dict__.get("_forest") or self.__dict__.setdefault("_forest", _Forest(self.trees))
        leaves = forest.leaves(x)  # (trees, rows)
        for k in range(raw.shape[1]):
            raw[:, k] += leaves[forest.output == k].sum(axis=0)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict_proba(self, x: Any) -> np.ndarray:
        raw = self.decision_function(x)
        if raw.ndim == 1:
            p = _expit(raw)
            return np.stack([1 - p, p], axis=1)
        return _softmax(raw)


class _Forest:
    """Every tree's nodes in one table, walked together: one numpy step per level, not one per tree."""

    def __init__(self, trees: list[list[np.ndarray]]) -> None:
        flat = [(k, nodes) for iteration in trees for k, nodes in enumerate(iteration)]
        sizes = np.asarray([len(nodes) for _, nodes in flat], dtype=np.int64)
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        shift = np.repeat(self.roots, sizes)
        nodes = np.concatenate([n for _, n in flat])
        self.output = np.asarray([k for k, _ in flat], dtype=np.int64)
        self.leaf = nodes["is_leaf"].astype(bool)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = np.asarray(nodes["num_threshold"], dtype=np.float64)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left = nodes["left"].astype(np.int64) + shift
        self.right = nodes["right"].astype(np.int64) + shift
        self.value = np.asarray(nodes["value"], dtype=np.float64)

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf value each tree gives each row, (trees, rows)."""
        at = np.repeat(self.roots[:, None], x.shape[0], axis=1)
        while True:
            trees, rows = np.nonzero(~self.leaf[at])
            if not len(trees):
                return self.value[at]
            node = at[trees, rows]
            value = x[rows, self.feature[node]]
            left = np.where(np.isnan(value), self.missing_left[node], value <= self.threshold[node])
            at[trees, rows] = np.where(left, self.left[node], self.right[node])


class Hashing:
    """HashingVectorizer (no alternate sign, L2 norm): lower-cased words (`token_pattern`) or character
    n-grams inside word boundaries (`char_wb`), hashed with MurmurHash3 into `n_features` columns."""

    def __init__(self, n_features: int, analyzer: str, ngram_range: tuple[int, int], token_pattern: str) -> None:
        self.n_features, self.analyzer, self.ngram_range = n_features, analyzer, ngram_range
        self.token_pattern = re.compile(token_pattern)

    def features(self, text: str) -> list[str]:
        text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            out = []
            for word in re.sub(r"\s\s+", " ", text).split():
                padded = f" {word} "
                for n in range(low, high + 1):
                    out += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
                    if len(padded) <= n:
                        break  # a short word counts once
            return out
        words = self.token_pattern.findall(text)
        return [" ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)]

    def rows(self, texts: Sequence[str]) -> SparseRows:
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            counts: dict[int, float] = {}
            for feature in self.features(text):
                column = _column(feature, self.n_features)
                counts[column] = counts.get(column, 0.0) + 1.0
            values = np.asarray(list(counts.values()))
            norm = float(np.sqrt((values**2).sum())) if len(values) else 1.0
            indices += counts.keys()
            data += (values / (norm or 1.0)).tolist()
            indptr.append(len(indices))
        return SparseRows(np.asarray(indptr), np.asarray(indices, dtype=np.int64), np.asarray(data), self.n_features)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self.rows(texts).dense()


class SparseRows:
    """Hashed rows kept sparse (an account list can be long): just what the triage multiplies."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, width: int) -> None:
        self.indptr, self.indices, self.data, self.width = indptr, indices, data, width
        self.owner = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))

    def dense(self) -> np.ndarray:
        out = np.zeros((len(self.indptr) - 1, self.width))
        out[self.owner, self.indices] = self.data
        return out

    def products(self, queries: SparseRows) -> np.ndarray:
        """`queries @ self.T` as a dense (queries × rows) array."""
        dense = queries.dense()
        return np.stack([np.bincount(self.owner, self.data * q[self.indices], len(self.indptr) - 1) for q in dense])


@functools.lru_cache(maxsize=65536)
def _column(feature: str, n_features: int) -> int:
    h = murmurhash3_32(feature.encode("utf-8"))
    return (2147483647 - (n_features - 1)) % n_features if h == -2147483648 else abs(h) % n_features


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, signed (as scikit-learn's `murmurhash3_32(..., positive=False)`)."""
    mask = 0xFFFFFFFF
    h = seed & mask
    blocks = len(data) // 4
    for i in range(blocks):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * 0xCC9E2D51) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * 0x1B873593) & mask
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    tail = data[4 * blocks :]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * 0xCC9E2D51) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * 0x1B873593) & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def freeze_estimator(model: Any) -> Any:
    """The numpy stand-in of a fitted scikit-learn model (anything else is returned as it is)."""
    kind = type(model).__name__
    if kind == "StandardScaler":
        return Scaler(np.asarray(model.mean_), np.asarray(model.scale_))
    if kind == "LogisticRegression":
        return Linear(np.asarray(model.coef_), np.asarray(model.intercept_), np.asarray(model.classes_))
    if kind == "CalibratedClassifierCV" and model.method == "sigmoid":
        folds = []
        for fold in model.calibrated_classifiers_:
            columns = np.searchsorted(model.classes_, fold.estimator.classes_)
            a = np.asarray([c.a_ for c in fold.calibrators], dtype=np.float64)
            b = np.asarray([c.b_ for c in fold.calibrators], dtype=np.float64)
            folds.append((freeze_estimator(fold.estimator), columns, a, b))
        return Calibrated(folds, np.asarray(model.classes_))
    if kind == "HistGradientBoostingClassifier" and getattr(model, "is_categorical_", None) is None:
        trees = [[np.asarray(p.nodes) for p in iteration] for iteration in model._predictors]
        return Boosting(np.asarray(model._baseline_prediction, dtype=np.float64), trees, np.asarray(model.classes_))
    plain = kind == "HashingVectorizer" and not model.alternate_sign and model.norm == "l2" and model.lowercase
    if plain and model.analyzer in ("char_wb", "word") and model.preprocessor is None and model.tokenizer is None:
        return Hashing(model.n_features, model.analyzer, model.ngram_range, model.token_pattern)
    return model


def freeze(obj: Any, _seen: set[int] | None = None) -> None:
    """Replace, in place, every fitted scikit-learn model held by the triage's objects with its stand-in."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or not hasattr(obj, "__dict__") or not type(obj).__module__.startswith("fieldsignal."):
        return
    seen.add(id(obj))
    for name, value in list(vars(obj).items()):
        if type(value).__module__.startswith("sklearn."):
            setattr(obj, name, freeze_estimator(value))
        elif isinstance(value, dict):
            for key, item in list(value.items()):
                if type(item).__module__.startswith("sklearn."):
                    value[key] = freeze_estimator(item)
                else:
                    freeze(item, seen)
        else:
            freeze(value, seen)

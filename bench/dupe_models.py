"""The duplicate scorer's model, compared out of fold over writers on the same pair features.

Triages the corpus's labelled pairs with the shipped triage (as `fieldsignal train` does; ~8 minutes on
2 idle cores), then scores a logistic regression (shipped) and gradient-boosted trees, each calibrated
(sigmoid), with 5 writer folds: F1 at the best bar, precision, recall, average precision.
Measured 2026-12-06, 36 writers: logistic 0.924 (P 0.897, R 0.952); boosted trees, one forest 0.943
(P 0.951, R 0.935), three forests 0.946. On the 8 held-out writers, scored once with the trees
shipped in a trial: 0.894 against the logistic regression's 0.919, so the logistic regression stays.
(Those figures are of the features before the notes' shared words, `note_words`, joined them.)

    python bench/dupe_models.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.dedupe import training
from fieldsignal.dedupe.words import fit_word_weights
from fieldsignal.settings import load_settings
from fieldsignal.triage import shipped
from fieldsignal.workspace import Workspace


def features() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ws = Workspace(load_settings(env={"FIELDSIGNAL_EMBEDDER": "minilm"}, home=Path(tempfile.mkdtemp())))
    rows = [json.loads(line) for line in shipped.default_corpus().read_text().splitlines() if line.strip()]
    words = fit_word_weights([r["text"] for r in rows])  # as `training.build` reads the pairs
    return training.pair_data(ws.triage, ws.embedder, rows, training.corpus_pairs(rows, 13), words=words)


def main() -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.preprocessing import StandardScaler

    x, y, groups = features()
    x = StandardScaler().fit_transform(x)
    folds = list(GroupKFold(n_splits=5).split(x, y, groups))
    print(f"{len(y)} pairs, {int(y.sum())} second reports, {len(set(groups))} writers")

    def trees() -> Any:
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=15, random_state=13)

    models = {
        "logistic regression (shipped)": CalibratedClassifierCV(
            LogisticRegression(C=1.0, max_iter=2000, random_state=13), method="sigmoid", cv=3
        ),
        "boosted trees, one forest": CalibratedClassifierCV(trees(), method="sigmoid", cv=3, ensemble=False),
        "boosted trees, three forests": CalibratedClassifierCV(trees(), method="sigmoid", cv=3),
    }
    for name, model in models.items():
        p = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        bar, figures = training.best_f1_bar(p, y)
        print(
            f"{name:<32} F1 {figures['f1']:.3f}  P {figures['precision']:.3f}  R {figures['recall']:.3f}  "
            f"bar {bar:.3f}  AP {average_precision_score(y, p):.3f}"
        )


if __name__ == "__main__":
    main()

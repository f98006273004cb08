"""A small trained head over sentence embeddings: multinomial logistic regression, fitted in numpy.

SetFit-style without the fine-tuning: the local model's embeddings stay frozen and a linear
classifier learns from every labelled text there is (taxonomy examples, reviewed corrections,
few-shot rows). It fits in milliseconds, so it is refitted whenever the labels change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE = 10.0  # embeddings are unit vectors; scaling them lets a few hundred steps converge


@dataclass
class LinearHead:
    weights: np.ndarray  # (dim, n_labels)
    bias: np.ndarray  # (n_labels,)

    @classmethod
    def fit(
        cls, vectors: np.ndarray, owner: np.ndarray, n_labels: int, l2: float = 1e-3, steps: int = 300
    ) -> LinearHead | None:
        """Fit on (n, dim) vectors labelled by `owner`; None when there is nothing to learn."""
        if len(vectors) == 0 or n_labels < 2 or len(set(owner.tolist())) < 2:
            return None
        x = vectors.astype(np.float32) * SCALE
        onehot = np.zeros((len(x), n_labels), dtype=np.float32)
        onehot[np.arange(len(x)), owner] = 1.0
        # balance the classes: each label weighs the same whatever its number of examples
        counts = onehot.sum(axis=0)
        sample_weight = (1.0 / np.maximum(counts, 1.0))[owner] * (len(x) / max(1, int((counts > 0).sum())))
        w = np.zeros((x.shape[1], n_labels), dtype=np.float32)
        b = np.zeros(n_labels, dtype=np.float32)
        m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
        rate, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
        for step in range(1, steps + 1):
            probs = _softmax_rows(x @ w + b)
            err = (probs - onehot) * sample_weight[:, None] / len(x)
            grad_w = x.T @ err + l2 * w
            grad_b = err.sum(axis=0)
            m_w = beta1 * m_w + (1 - beta1) * grad_w
            v_w = beta2 * v_w + (1 - beta2) * grad_w**2
            m_b = beta1 * m_b + (1 - beta1) * grad_b
            v_b = beta2 * v_b + (1 - beta2) * grad_b**2
            correction1, correction2 = 1 - beta1**step, 1 - beta2**step
            w -= rate * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
            b -= rate * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)
        return cls(w, b)

    def proba(self, queries: np.ndarray) -> np.ndarray:
        """(q, n_labels) class probabilities for (q, dim) unit query vectors."""
        return _softmax_rows((queries.astype(np.float32) * SCALE) @ self.weights + self.bias)


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)

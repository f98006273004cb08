"""How many of the same telling words two notes share: TF-IDF cosine, its word weights learnt from the corpus.

Two reports of one signal, however differently written, tend to share the words that few notes use (a
product, a project, an amount, a short form of the customer), where two different stories by the same
hand share the writer's habits and the common words. Each word's weight is its inverse document frequency
over the corpus notes (scikit-learn's `TfidfVectorizer`: sublinear term frequency, smoothed IDF, words seen
in at least two notes), kept as a plain dict, so scoring a paste never imports scikit-learn; a test holds
the cosine to scikit-learn's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern, on lower-cased text
_REMEMBERED = 4096  # note vectors kept per scorer (a paste scores its note against ~25 earlier ones)


@dataclass
class WordWeights:
    """Each known word's inverse document frequency over the corpus notes."""

    idf: dict[str, float]
    _seen: dict[str, dict[str, float]] = field(default_factory=dict, repr=False, compare=False)

    def vector(self, text: str) -> dict[str, float]:
        """The note's words, weighted (1 + log count) × IDF, unit length; unknown words are left out."""
        found = self._seen.get(text)
        if found is None:
            counts = Counter(w for w in TOKEN.findall(text.lower()) if w in self.idf)
            weights = {w: (1.0 + math.log(n)) * self.idf[w] for w, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in weights.values()))
            found = {w: v / norm for w, v in weights.items()} if norm else {}
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen[text] = found
        return found

    def cosine(self, a: str | None, b: str | None) -> float:
        if not a or not b:
            return 0.0
        x, y = self.vector(a), self.vector(b)
        if len(y) < len(x):
            x, y = y, x
        return float(sum(v * y.get(w, 0.0) for w, v in x.items()))

    def __getstate__(self) -> dict[str, object]:
        return {"idf": self.idf}  # the remembered vectors are not part of the model

    def __setstate__(self, state: dict[str, object]) -> None:
        self.idf = state["idf"]  # type: ignore[assignment]
        self._seen = {}


def fit_word_weights(texts: Sequence[str]) -> WordWeights:
    """Word weights learnt from `texts` (the corpus notes)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    fitted = TfidfVectorizer(sublinear_tf=True, min_df=2, token_pattern=TOKEN.pattern).fit(texts)
    return WordWeights({w: float(fitted.idf_[i]) for w, i in fitted.vocabulary_.items()})

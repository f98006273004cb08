"""Linking a customer as a note writes it ("brightwater", "BWM", "carrow aero") to a known account.

The known accounts are the workspace's account list (imported from the CRM) and the customers its
signal log already holds. A pair (mention, account) is described by a few string-similarity
features (character n-gram cosine, word prefixes, initials, coverage) and a logistic regression
trained on the corpus's (mention, canonical name) pairs, with the writer's other accounts as
negatives, says how likely the mention names that account. The mention links to the best account
when that is likely and no second account is; otherwise it stays as written.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

LINK_P = 0.5  # a mention links to an account whose probability reaches this, when no other account does
CANDIDATES = 30  # accounts scored in full per mention (the nearest by character n-grams, plus initials)
NEGATIVES = 12  # per training pair: the most similar other accounts of the same writer, and a few random
MAX_NAMES = 200_000  # names whose n-grams a served process keeps (an account list, the log's customers)


def _words(name: str) -> list[str]:
    return re.sub(r"[^\w&]+", " ", name.replace("’", "'").casefold()).split()


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w and w != "&")


def pair_features(mention: str, account: str, cosine: float) -> list[float]:
    m, a = _words(mention), _words(account)
    if not m or not a:
        return [cosine, 0, 0, 0, 0, 0, 0, 0]
    joined = "".join(m)
    prefix_of = [any(w.startswith(x) for w in a) for x in m]
    in_order = len(m) <= len(a) and all(a[i].startswith(x) for i, x in enumerate(m))
    initials = _initials(a)
    return [
        cosine,
        float(m == a),
        float(m[0] == a[0]),
        float(in_order),
        sum(prefix_of) / len(m),
        sum(any(w.startswith(x) or x.startswith(w) for x in m) for w in a) / len(a),
        float(len(joined) >= 2 and (joined == initials or (len(joined) >= 3 and initials.startswith(joined)))),
        min(len(joined) / max(len("".join(a)), 1), 2.0),
    ]


class AccountLinker:
    def __init__(self, seed: int = 13) -> None:
        self.seed = seed
        self.model: Any = None
        self._vectorizer: Any = None
        self._table: tuple[tuple[str, ...], Any] | None = None  # the last account list: n-grams, initials
        self._names: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # each name's hashed n-grams, once frozen

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_table": None, "_names": {}}  # what was read, not what was learnt

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"_names": {}, **state})

    def _grams(self) -> Any:
        if self._vectorizer is None:
            from sklearn.feature_extraction.text import HashingVectorizer

            self._vectorizer = HashingVectorizer(
                n_features=2**14, analyzer="char_wb", ngram_range=(2, 4), alternate_sign=False, norm="l2"
            )
        return self._vectorizer

    def _account_table(self, accounts: Sequence[str]) -> tuple[Any, list[str]]:
        """The account list's n-gram vectors and initials, kept for the next call with the same list. A
        served workspace's list grows by a name now and then (a pasted note's customer that is no account):
        once frozen, each name is hashed once, and a changed list is assembled from the names' rows."""
        key = tuple(accounts)
        table = self._table  # read once: a model loaded once a process is shared by its workspaces' threads
        if table is None or table[0] != key:
            texts = [" ".join(_words(a)) for a in accounts]
            grams = self._grams()
            vectors = self._known_rows(grams, texts) if hasattr(grams, "rows") else self._rows(texts)
            table = self._table = (key, (vectors, [_initials(_words(a)) for a in accounts]))
        return table[1]

    def _known_rows(self, grams: Any, texts: Sequence[str]) -> Any:
        from fieldsignal.triage.frozen import SparseRows

        names = self._names
        if len(names) > MAX_NAMES:
            names = self._names = {}  # a new dict, not cleared: another thread may be reading the old one
        new = [t for t in dict.fromkeys(texts) if t not in names]
        if new:
            rows = grams.rows(new)
            for k, text in enumerate(new):
                start, end = rows.indptr[k], rows.indptr[k + 1]
                names[text] = (rows.indices[start:end], rows.data[start:end])
        parts = [names[t] for t in texts]
        indptr = np.concatenate([[0], np.cumsum([len(i) for i, _ in parts])]).astype(np.int64)
        indices = np.concatenate([i for i, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        data = np.concatenate([d for _, d in parts]) if parts else np.zeros(0)
        return SparseRows(indptr, indices.astype(np.int64), data.astype(np.float64), grams.n_features)

    def _rows(self, texts: Sequence[str]) -> Any:
        """Hashed n-gram rows, sparse: scikit-learn's while fitting, `frozen.SparseRows` once frozen."""
        grams = self._grams()
        return grams.rows(texts) if hasattr(grams, "rows") else grams.transform(texts)

    def _cosines(self, mention: str, accounts: Sequence[str]) -> np.ndarray:
        table, _ = self._account_table(accounts)
        return _products(self._rows([" ".join(_words(mention))]), table)[0]

    def fit(self, pairs: Sequence[tuple[str, str, str]]) -> AccountLinker:
        """Learn from (mention, canonical account, group) triples; a group's other accounts are negatives."""
        rng = random.Random(self.seed)
        by_group: dict[str, list[str]] = {}
        for _, account, group in pairs:
            if account not in by_group.setdefault(group, []):
                by_group[group].append(account)
        x, y = [], []
        for mention, account, group in pairs:
            others = [a for a in by_group[group] if a != account]
            cos = self._cosines(mention, by_group[group])
            x.append(pair_features(mention, account, float(cos[by_group[group].index(account)])))
            y.append(1)
            if not others:
                continue
            cos = np.asarray([c for a, c in zip(by_group[group], cos, strict=True) if a != account])
            near = list(np.argsort(-cos)[: NEGATIVES - 3]) + rng.sample(range(len(others)), min(3, len(others)))
            for i in dict.fromkeys(int(i) for i in near):
                x.append(pair_features(mention, others[i], float(cos[i])))
                y.append(0)
        if len(set(y)) < 2:
            return self
        self.model = _classifier(self.seed).fit(np.asarray(x), np.asarray(y))
        self._table = None  # a training group's table: not kept in the cached model
        return self

    def scores(self, mention: str, accounts: Sequence[str]) -> list[tuple[str, float]]:
        """The likeliest accounts for `mention`, best first, with their probability."""
        return self.rank_many([mention], accounts)[0]

    def rank_many(self, mentions: Sequence[str | None], accounts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each mention, the likeliest accounts, best first: one n-gram product and one model call."""
        out: list[list[tuple[str, float]]] = [[] for _ in mentions]
        todo = [k for k, m in enumerate(mentions) if m and _words(m)]
        if self.model is None or not accounts or not todo:
            return out
        table, initials = self._account_table(accounts)
        cosines = _products(self._rows([" ".join(_words(mentions[k] or "")) for k in todo]), table)
        feats, owners = [], []
        for row, k in enumerate(todo):
            mention = mentions[k] or ""
            short = "".join(_words(mention))
            picked = {int(i) for i in np.argsort(-cosines[row])[:CANDIDATES]}
            if len(short) <= 6:  # an abbreviation shares no n-grams with the name it abbreviates
                picked |= {i for i, letters in enumerate(initials) if letters.startswith(short)}
            for i in sorted(picked):
                feats.append(pair_features(mention, accounts[i], float(cosines[row, i])))
                owners.append((k, i))
        probs = self.model.predict_proba(np.asarray(feats))[:, 1]
        for (k, i), p in zip(owners, probs.tolist(), strict=True):
            out[k].append((accounts[i], p))
        return [sorted(ranked, key=lambda ap: -ap[1]) for ranked in out]

    def link_many(self, mentions: Sequence[str | None], accounts: Sequence[str]) -> list[str | None]:
        """Each mention's account, when one is likely and no other is; else the mention as written."""
        found = self.link_first([[m] if m else [] for m in mentions], accounts)
        return [account or mention or None for account, mention in zip(found, mentions, strict=True)]

    def link_first(self, names: Sequence[Sequence[str]], accounts: Sequence[str]) -> list[str | None]:
        """For each note's names of its customer (best first), the account named by the first name that
        names one surely (it is likely and no other account is); else None."""
        return [account for account, _, _ in self.link_scored(names, accounts)]

    def link_scored(
        self, names: Sequence[Sequence[str]], accounts: Sequence[str]
    ) -> list[tuple[str | None, float, float]]:
        """`link_first`, with the probabilities of the best and the next best account for the name that
        settled it (else for the note's first name; 0 without one). Every name of every note in one
        model call: a paste costs one call however many names its note has."""
        flat = [(k, name) for k, note in enumerate(names) for name in note]
        per_note: list[list[tuple[str, float, float]]] = [[] for _ in names]  # each name's best, top, second
        for (k, _), ranked in zip(flat, self.rank_many([name for _, name in flat], accounts), strict=True):
            top, second = (ranked[0][1] if ranked else 0.0), (ranked[1][1] if len(ranked) > 1 else 0.0)
            per_note[k].append((ranked[0][0] if ranked else "", top, second))
        return [_settled(scores) for scores in per_note]

    def link(self, mention: str | None, accounts: Sequence[str]) -> str | None:
        """The account `mention` names, when one is likely and no other is; else the mention as written."""
        return self.link_many([mention], accounts)[0]


def _settled(scores: Sequence[tuple[str, float, float]]) -> tuple[str | None, float, float]:
    """The account named by the first name that names one surely, with its scores; else None, with the
    first name's scores (0 without a name)."""
    for account, top, second in scores:
        if account and top >= LINK_P and second < LINK_P:
            return account, top, second
    return (None, scores[0][1], scores[0][2]) if scores else (None, 0.0, 0.0)


def training_pairs(rows: Sequence[tuple[str | None, str | None, str]]) -> list[tuple[str, str, str]]:
    """(mention, canonical, group) from labelled rows that give both (mention as written, CRM name)."""
    return [(m, c, g) for m, c, g in rows if m and c]


def _products(queries: Any, table: Any) -> np.ndarray:
    """Cosines of each query row with each table row (rows are L2-normalised), dense."""
    if hasattr(table, "products"):
        return np.asarray(table.products(queries))
    return np.asarray((queries @ table.T).toarray())


def _classifier(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=15, random_state=seed)

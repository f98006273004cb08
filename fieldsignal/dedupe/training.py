"""Fitting the duplicate scorer on the corpus: labelled pairs of notes, read by the shipped triage.

The corpus marks each second report with `duplicate_of`; notes that share a root are one signal.
Each writer's file is its own world (the conventions mark second reports within a file), so pairs are
only ever two notes by one writer: two writers who both invented a "Helix Bank" and its firewall gap
wrote two stories, but the pair reads exactly like a second report, and labelled "not one signal" it
taught the scorer that a customer's same gap, told again, is not a repeat (with 20 writers, 370
same-name pairs across writers, 21 of them with the same gap). The pairs are every two notes by one
writer with the same customer (second reports, and the same customer's other asks), two notes of a
second report's writer about its gap at other customers, and one random
pair of that writer's notes per note. (Each second report retold about another customer, as an
extra negative, did not help: out of fold over writers 0.933 against 0.940 F1. Nor, on held-out writers, did
pairing each note with the earlier notes of its writer nearest in meaning, `nearest_pairs`, the candidates a
paste is scored against: replaying the corpus writers' logs out of fold it raised the links' precision from
0.741 to 0.881, but on the held-out writers it lowered duplicates F1 on pairs, 0.9425 -> 0.899 and 0.788 ->
0.769, and left the replayed logs' F1 where it was: README, `bench/dupes_in_a_log.py`.) Each note is
triaged as a paste would be, its excerpts embedded by the workspace's embedder, and `pair_features`
taken for every pair of their signals (a note pair is labelled on its most alike signal pair), with
word weights learnt from the corpus notes (`words.py`). The
classifier is fitted with a fixed seed and calibrated over writer folds. Its bars are set where it is
used, in a log (`log_bar`): each fold of writers' notes is replayed as pasted, in date order, by a
classifier fitted without that fold (`replay.py`); the link bar is the one with the best F1 of links over
second reports, the review bar the lowest at which 1 in 4 questions asked are about the note's own story.
Set on pairs (one first report, one hard negative), the link bar linked about a quarter of a log's notes
to another story. Cached, keyed by the corpus, the taxonomy, the encoders and this code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.cache import building, cache_dir, code_digest, prune
from fieldsignal.dedupe.candidates import Candidate, customer_key, from_draft
from fieldsignal.dedupe.model import FEATURES, DuplicateScorer, pair_features
from fieldsignal.dedupe.replay import Decision, log_figures, replay
from fieldsignal.dedupe.words import WordWeights, fit_word_weights
from fieldsignal.models import NoteInput

Progress = Callable[[str, int, int], None]
KEEP = 4
SCORER_CODE = ("candidates.py", "model.py", "replay.py", "training.py", "words.py")  # what a cached scorer is keyed by
MIN_REPORTS = 20  # second reports (from 3 writers or more) the scorer needs to be fitted at all
ASK_PRECISION = 0.25  # a "same signal?" question is worth asking when 1 in 4 such pairs are repeats
LOG_FOLDS = 5  # writer folds of the replayed logs that set the link bar


def corpus_pairs(rows: Sequence[dict[str, Any]], seed: int = 13) -> list[tuple[int, int, bool]]:
    """(earlier, later, same signal) row indexes: see the module's docstring."""
    rng = random.Random(seed)
    index = {r["id"]: i for i, r in enumerate(rows)}
    roots = first_reports(rows)
    rank = _rank(rows)
    pairs: set[tuple[int, int]] = set()

    def add(a: int, b: int) -> None:
        if a != b:
            pairs.add((a, b) if rank[a] < rank[b] else (b, a))

    by_customer: dict[str, list[int]] = {}
    by_writer: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        key = customer_key(r.get("customer"))
        if key:  # within one writer's file: the same name by two writers is two invented accounts
            by_customer.setdefault(f"{r.get('writer')}\x00{key}", []).append(i)
        by_writer.setdefault(str(r.get("writer")), []).append(i)
    for members in by_customer.values():
        for n, a in enumerate(members):
            for b in members[n + 1 :]:
                add(a, b)
    for i, r in enumerate(rows):
        mates = by_writer[str(r.get("writer"))]
        if r.get("duplicate_of") in index and r.get("gap"):
            same_gap = [m for m in mates if rows[m].get("gap") == r["gap"] and roots[m] != roots[i]]
            for m in rng.sample(same_gap, min(2, len(same_gap))):
                add(i, m)
        add(i, rng.choice(mates))
    return [(a, b, roots[a] == roots[b]) for a, b in sorted(pairs)]


def first_reports(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Each row's first report (following `duplicate_of` to its root), by row index."""
    index = {r["id"]: i for i, r in enumerate(rows) if r.get("id")}

    def root(i: int) -> int:
        seen = set()
        while (first := rows[i].get("duplicate_of")) in index and i not in seen:
            seen.add(i)
            i = index[first]
        return i

    return [root(i) for i in range(len(rows))]


def _rank(rows: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Each row's place in time (by date, then file order)."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("date") or "", i))
    return {i: n for n, i in enumerate(order)}


def nearest_pairs(
    rows: Sequence[dict[str, Any]], found: dict[int, list[Candidate]], k: int
) -> list[tuple[int, int, bool]]:
    """(earlier, later, same signal) for each read note and the `k` earlier notes of its writer whose
    whole-note vectors are nearest its own: the candidates a paste is scored against (tried as more
    training pairs and not kept, see the module's docstring)."""
    roots, rank = first_reports(rows), _rank(rows)
    by_writer: dict[str, list[int]] = {}
    for i in sorted(found, key=rank.__getitem__):
        if found[i] and found[i][0].note_vector is not None:
            by_writer.setdefault(str(rows[i].get("writer")), []).append(i)
    pairs = []
    for notes in by_writer.values():
        vectors = np.stack([found[i][0].note_vector for i in notes])  # type: ignore[misc]
        for n in range(1, len(notes)):
            closeness = vectors[:n] @ vectors[n]
            for j in np.argsort(-closeness)[:k]:
                a, b = notes[int(j)], notes[n]
                pairs.append((a, b, roots[a] == roots[b]))
    return pairs


def _candidates(
    triage: Any, embedder: Any, texts: Sequence[str], dates: Sequence[dt.date | None], numbers: Sequence[int]
) -> list[list[Candidate]]:
    """Each note's signals as candidates: note `numbers[n]`, its signals numbered after it (`100 n + k`)."""
    results = triage.triage([NoteInput(text=t, date=d) for t, d in zip(texts, dates, strict=True)])
    excerpts = [d.excerpt for r in results for d in r.signals]
    vectors = iter(embedder.encode(excerpts))
    notes = embedder.encode(list(texts))
    known = set(triage.taxonomy.gap_by_slug)
    return [
        [from_draft(d, i * 100 + k, i, t, known, next(vectors), notes[n]) for k, d in enumerate(r.signals)]
        for n, (i, t, r) in enumerate(zip(numbers, texts, results, strict=True))
    ]


def pair_matrix(old: Sequence[Candidate], new: Sequence[Candidate], words: WordWeights | None = None) -> np.ndarray:
    """The features of a note pair: those of its most alike signal pair (by excerpt cosine, then gap)."""
    rows = [pair_features(o, n, words) for o in old for n in new]
    gap, cosine = FEATURES.index("gap_probability"), FEATURES.index("excerpt_cosine")
    return max(rows, key=lambda f: (f[gap] + f[cosine], f[cosine]))


def fit(
    features: np.ndarray, labels: np.ndarray, groups: np.ndarray, seed: int = 13, words: WordWeights | None = None
) -> DuplicateScorer:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.preprocessing import StandardScaler

    from fieldsignal.triage.frozen import freeze_estimator

    scaler = StandardScaler().fit(features)
    x = scaler.transform(features)
    folds = list(GroupKFold(n_splits=min(5, len(set(groups)))).split(x, labels, groups))

    def model() -> Any:
        base = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
        return CalibratedClassifierCV(base, method="sigmoid", cv=3)

    p = cross_val_predict(model(), x, labels, cv=folds, method="predict_proba")[:, 1]
    link, figures = best_f1_bar(p, labels)
    ask = ask_bar(p, labels, p >= link, link)
    figures["asked_share"] = round(float(np.mean((p >= ask) & (p < link))), 4)
    classifier = model().fit(x, labels)
    return DuplicateScorer(freeze_estimator(scaler), freeze_estimator(classifier), link, ask, figures, words)


def ask_bar(p: np.ndarray, right: np.ndarray, linked: np.ndarray, link: float) -> float:
    """The review bar: the lowest under the link bar at which at least ASK_PRECISION of the questions asked
    (not `linked`, at or above it) are `right` (second reports of what they are asked about), going no lower
    than where 95 % of the right ones are at or above it. On pairs `linked` is `p >= link`; in a log a pair
    over the link bar that may not be linked alone is asked too."""
    bar = link
    for candidate in sorted({float(v) for v in np.round(p[p < link], 3)}, reverse=True):
        band = (p >= candidate) & ~linked
        if band.any() and float(np.mean(right[band])) >= ASK_PRECISION:
            bar = candidate
        if float(np.mean(p[right] >= candidate)) >= 0.95:
            break
    return bar


def best_f1_bar(p: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, float]]:
    best = (0.0, 0.5, 0.0, 0.0)
    for bar in np.unique(np.round(p, 3)):
        predicted = p >= bar
        tp = float(np.sum(predicted & labels))
        if not tp:
            continue
        precision, recall = tp / float(predicted.sum()), tp / float(labels.sum())
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best[0]:
            best = (f1, float(bar), precision, recall)
    f1, bar, precision, recall = best
    return bar, {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}


def read_notes(
    triage: Any, embedder: Any, rows: Sequence[dict[str, Any]], used: Sequence[int], progress: Progress | None = None
) -> dict[int, list[Candidate]]:
    """The `used` rows read as a paste would read them: each note's signals as duplicate candidates (the
    note's `note_id` is its row number)."""
    found: dict[int, list[Candidate]] = {}
    for start in range(0, len(used), 64):
        chunk = used[start : start + 64]
        dates = [dt.date.fromisoformat(rows[i]["date"]) if rows[i].get("date") else None for i in chunk]
        texts = [rows[i]["text"] for i in chunk]
        for i, cands in zip(chunk, _candidates(triage, embedder, texts, dates, chunk), strict=True):
            found[i] = cands
        if progress:
            progress("reading the second reports", min(start + 64, len(used)), len(used))
    return found


def pair_data(
    triage: Any,
    embedder: Any,
    rows: Sequence[dict[str, Any]],
    pairs: Sequence[tuple[int, int, bool]],
    progress: Progress | None = None,
    words: WordWeights | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labelled pairs of corpus rows (`corpus_pairs`) read as a paste would read them: features, labels
    (same signal) and each pair's writer (the folds' groups)."""
    found = read_notes(triage, embedder, rows, sorted({i for a, b, _ in pairs for i in (a, b)}), progress)
    return pair_arrays(rows, pairs, found, words)


def pair_arrays(
    rows: Sequence[dict[str, Any]],
    pairs: Sequence[tuple[int, int, bool]],
    found: dict[int, list[Candidate]],
    words: WordWeights | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    features = np.stack([pair_matrix(found[a], found[b], words) for a, b, _ in pairs])
    labels = np.asarray([same for _, _, same in pairs], dtype=bool)
    groups = np.asarray([str(rows[a].get("writer")) for a, _, _ in pairs])
    return features, labels, groups


def writer_logs(
    rows: Sequence[dict[str, Any]], found: dict[int, list[Candidate]], writers: set[str]
) -> list[list[int]]:
    """Each of these writers' read notes, in date order (then file order): one log a writer."""
    rank = _rank(rows)
    logs: dict[str, list[int]] = {}
    for i in sorted(found, key=rank.__getitem__):
        if str(rows[i].get("writer")) in writers:
            logs.setdefault(str(rows[i].get("writer")), []).append(i)
    return list(logs.values())


def log_decisions(
    rows: Sequence[dict[str, Any]],
    found: dict[int, list[Candidate]],
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    words: WordWeights | None = None,
    seed: int = 13,
) -> list[Decision]:
    """Each fold of writers' notes replayed as a log (`replay.replay`) by a scorer fitted on the pairs
    (`arrays`: features, labels, writers) of the other writers."""
    features, labels, groups = arrays
    writers = sorted(set(groups.tolist()))
    folds = min(LOG_FOLDS, len(writers))
    decisions: list[Decision] = []
    for k in range(folds):
        fold = writers[k::folds]
        kept = ~np.isin(groups, fold)
        inner = fit(features[kept], labels[kept], groups[kept], seed, words)
        decisions += replay(writer_logs(rows, found, set(fold)), found, inner)
    return decisions


def log_bar(
    rows: Sequence[dict[str, Any]],
    found: dict[int, list[Candidate]],
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    scorer: DuplicateScorer,
    seed: int = 13,
) -> DuplicateScorer:
    """The scorer with its bars set where it is used, in a log (`log_decisions`, out of fold over writers):
    the link bar with the best F1 of links over second reports (a link is right when it joins a note to its
    own story), then the review bar (`log_ask_bar`). The pairs' bars stay when no bar links a second
    report right; the figures (`log_*`) say what the replayed logs gave."""
    decisions = log_decisions(rows, found, arrays, scorer.words, seed)
    roots = first_reports(rows)
    bars = sorted({d.probability for d in decisions if d.probability >= scorer.ask})
    scored = [(log_figures(decisions, roots, bar, scorer.ask)["f1"], bar) for bar in bars]
    if not scored or not max(scored)[0]:
        return scorer
    _, link = max(scored)
    ask = log_ask_bar(decisions, roots, link)
    figures = log_figures(decisions, roots, link, ask)
    log = {f"log_{k}": float(v) for k, v in figures.items() if k in ("precision", "recall", "f1", "links", "questions")}
    log["log_questions_right"] = float(figures["questions_right"])
    return dataclasses.replace(scorer, link=link, ask=ask, figures={**scorer.figures, **log})


def log_ask_bar(decisions: Sequence[Decision], roots: Sequence[int], link: float) -> float:
    """The review bar in a log (`ask_bar` over the replayed decisions): a question is right when the earlier
    note it asks about is of the note's own story."""
    right = np.asarray([d.right(roots) for d in decisions], dtype=bool)
    linked = np.asarray([d.linked_at(link) for d in decisions], dtype=bool)
    return ask_bar(np.asarray([d.probability for d in decisions]), right, linked, link)


def build(
    triage: Any, embedder: Any, corpus: Path, progress: Progress | None = None, seed: int = 13
) -> DuplicateScorer | None:
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = corpus_pairs(rows, seed)
    if sum(same for _, _, same in pairs) < MIN_REPORTS or len({r.get("writer") for r in rows}) < 3:
        return None  # too little to learn from: the rule (same customer and gap) decides
    words = fit_word_weights([r["text"] for r in rows])
    found = read_notes(triage, embedder, rows, range(len(rows)), progress)  # every note: the logs are replayed
    arrays = pair_arrays(rows, pairs, found, words)
    return log_bar(rows, found, arrays, fit(*arrays, seed, words), seed)


def scorer_key(corpus: Path, triage_key: str, embedder_name: str) -> str:
    digest = hashlib.sha256()
    digest.update(corpus.read_bytes())
    digest.update(triage_key.encode())
    digest.update(embedder_name.encode())
    digest.update(code_digest(Path(__file__).parent / name for name in SCORER_CODE).encode())
    return digest.hexdigest()[:16]


def load_or_build(
    triage: Any, embedder: Any, corpus: Path, triage_key: str, progress: Progress | None = None
) -> DuplicateScorer | None:
    """The cached scorer for this corpus, triage and embedder (fitted now if there is none)."""
    folder = cache_dir() / "dedupe" / scorer_key(corpus, triage_key, embedder.name)
    path = folder / "scorer.pkl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with building(folder):
            if not path.exists():
                scorer = build(triage, embedder, corpus, progress)
                temporary = folder / f"scorer.pkl.{os.getpid()}"
                with temporary.open("wb") as handle:
                    pickle.dump(scorer, handle, protocol=pickle.HIGHEST_PROTOCOL)
                temporary.replace(path)
                prune(folder.parent, "scorer.pkl", keep=KEEP)
    with path.open("rb") as handle:
        loaded: DuplicateScorer | None = pickle.load(handle)  # our own cache file, written above
    return loaded

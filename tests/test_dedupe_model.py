"""The learned duplicate scorer: pair evidence, training pairs from the corpus, fitting and its bars."""

from __future__ import annotations

import datetime as dt

import numpy as np

from fieldsignal.dedupe.candidates import Candidate, nearest
from fieldsignal.dedupe.model import FEATURES, pair_features
from fieldsignal.dedupe.training import corpus_pairs, fit


def cand(
    id_: int,
    customer: str | None,
    gap: str | None,
    vec: list[float],
    text: str = "",
    day: int = 1,
    probs: dict[str, float] | None = None,
) -> Candidate:
    v = np.asarray(vec, dtype=np.float64)
    return Candidate(
        id=id_, note_id=id_, customer=customer, gap=gap, new_gap=False, date=dt.date(2026, 3, day),
        vector=v / np.linalg.norm(v), text=text, gap_probs=probs, signal_type="Product Gap",
    )  # fmt: skip


def feature(row: np.ndarray, name: str) -> float:
    return float(row[FEATURES.index(name)])


def test_a_customer_the_triage_missed_is_still_evidence_from_the_other_note() -> None:
    old = cand(1, "Helix Bank", "no-firewall", [1, 0], "Helix Bank wants a WAF")
    new = cand(2, None, "no-firewall", [1, 0.1], "helix still asking about a firewall", probs={"no-firewall": 0.7})
    row = pair_features(old, new)
    assert feature(row, "customer_missing") == 1.0 and feature(row, "customer_same") == 0.0
    assert feature(row, "customer_in_other_note") == 0.5  # "helix" of "helix bank"
    assert feature(row, "gap_probability") == 0.7 and feature(row, "gap_same") == 1.0


def test_the_notes_cosine_stands_in_for_itself_only_when_both_notes_have_a_vector() -> None:
    old = cand(1, "Helix Bank", "no-firewall", [1, 0])
    new = cand(2, "Helix Bank", "no-firewall", [0.6, 0.8])
    assert feature(pair_features(old, new), "note_cosine") == feature(pair_features(old, new), "excerpt_cosine")
    old.note_vector, new.note_vector = np.asarray([0.0, 1.0]), np.asarray([0.0, 1.0])
    assert feature(pair_features(old, new), "note_cosine") == 1.0
    assert abs(feature(pair_features(old, new), "excerpt_cosine") - 0.6) < 1e-9


def test_other_customer_and_other_gap_are_told_apart_by_the_features() -> None:
    old = cand(1, "Helix Bank", "no-firewall", [1, 0], "Helix Bank wants a WAF")
    other = cand(
        2, "Orbis Freight", "vertical-only", [0, 1], "Orbis needs more CPU", day=20, probs={"vertical-only": 0.9}
    )
    row = pair_features(old, other)
    assert feature(row, "customer_conflict") == 1.0 and feature(row, "customer_spelling") < 0.2
    assert feature(row, "gap_same") == 0.0 and feature(row, "gap_probability") == 0.0
    assert abs(feature(row, "excerpt_cosine")) < 1e-9
    assert 0 < feature(row, "days_apart") < 1


def test_training_pairs_are_labelled_by_the_first_report() -> None:
    fields = ("id", "customer", "gap", "duplicate_of", "date")
    rows = [
        dict(zip(fields, values, strict=True), writer="w")
        for values in (
            ("a", "Helix", "no-firewall", None, "2026-01-01"),
            ("b", "Helix", "no-firewall", "a", "2026-02-01"),
            ("c", "Helix", "no-firewall", "b", "2026-03-01"),
            ("d", "Helix", "vertical-only", None, "2026-01-15"),
            ("e", "Orbis", "no-firewall", None, "2026-01-20"),
        )
    ]
    pairs = {(rows[a]["id"], rows[b]["id"]): same for a, b, same in corpus_pairs(rows)}
    assert pairs[("a", "c")] and pairs[("b", "c")] and pairs[("a", "b")]  # one chain, one signal
    assert pairs[("a", "d")] is False  # the same customer's other ask
    assert ("c", "a") not in pairs  # the earlier report comes first
    assert any("e" in p and not same for p, same in pairs.items())  # its gap at another customer


def test_fitted_scorer_separates_unseen_pairs_and_orders_its_bars() -> None:
    rng = np.random.default_rng(3)
    gaps = ["no-firewall", "vertical-only", "no-custom-domains"]
    names = ["Helix Bank", "Orbis Freight", "Quasar Labs", "Kappa Securities", "Delta Mutual"]

    def pair(duplicate: bool) -> tuple[Candidate, Candidate]:
        base = rng.normal(size=8)
        gap, name = rng.choice(gaps), rng.choice(names)
        old = cand(1, name, gap, list(base), f"{name} again", probs=None)
        if duplicate:
            vec, other_name, other_gap = base + rng.normal(scale=0.6, size=8), name, gap
        elif rng.random() < 0.5:
            vec, other_name, other_gap = rng.normal(size=8), name, rng.choice([g for g in gaps if g != gap])
        else:
            other_name = rng.choice([n for n in names if n != name])
            vec, other_gap = base + rng.normal(scale=0.8, size=8), gap
        new = cand(2, other_name, other_gap, list(vec), f"{other_name} note", day=9, probs={other_gap: 0.8})
        return old, new

    def sample(n: int) -> tuple[list[tuple[Candidate, Candidate]], np.ndarray]:
        labels = rng.random(n) < 0.4
        return [pair(bool(y)) for y in labels], labels

    train, y = sample(400)
    x = np.stack([pair_features(a, b) for a, b in train])
    scorer = fit(x, y, np.asarray([f"w{i % 5}" for i in range(len(y))]))
    assert 0 < scorer.ask <= scorer.link < 1 and scorer.figures["f1"] > 0.9
    test, truth = sample(200)
    predicted = np.asarray([scorer.note_probability([a], [b]) >= scorer.link for a, b in test])
    tp = int(np.sum(predicted & truth))
    f1 = 2 * tp / (predicted.sum() + truth.sum())
    assert f1 > 0.9
    old, new = test[int(np.argmax(truth))]
    assert scorer.best([old], new) is not None and scorer.best([old], new, refused={old.id}) is None


def test_nearest_keeps_the_customer_and_the_closest_in_meaning() -> None:
    new = cand(100, "Helix Bank", "no-firewall", [1, 0, 0])
    far_same_customer = cand(1, "HELIX BANK INC", "vertical-only", [0, 0, 1])
    others = [cand(10 + i, f"Co {i}", "no-firewall", [i / 10, 1, 0]) for i in range(40)]
    chosen = nearest([far_same_customer, *others], new, k=5)
    ids = [c.id for c in chosen]
    assert ids[0] == 1 and len(ids) == 6
    assert set(ids[1:]) == {49, 48, 47, 46, 45}  # the five closest to [1, 0, 0]


def test_two_customers_named_apart_are_asked_about_never_linked_alone() -> None:
    from fieldsignal.dedupe.model import DuplicateScorer

    scorer = DuplicateScorer(scaler=None, classifier=None)
    helix = cand(1, "Helix Bank", "no-firewall", [1, 0], "Helix Bank wants a WAF")
    assert scorer.may_link(helix, cand(2, "Orbis Freight", "no-firewall", [1, 0], "Orbis wants a WAF")) is False
    assert scorer.may_link(helix, cand(3, "HELIX BANK INC", "no-firewall", [1, 0], "again")) is True
    assert scorer.may_link(helix, cand(4, None, "no-firewall", [1, 0], "no name")) is True
    assert scorer.may_link(helix, cand(5, "HB", "no-firewall", [1, 0], "HB (helix) again")) is True  # named in it


def test_shared_telling_words_are_weighed_as_scikit_learn_weighs_them() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from fieldsignal.dedupe.words import TOKEN, fit_word_weights

    corpus = [
        "Helix wants a WAF in front of the app before go-live",
        "Helix asked again: no WAF, no go-live for the claims app",
        "Orbis needs more CPU for the pricing app",
        "Orbis: the pricing app runs out of memory",
        "Quasar wants SSO with Okta for the app",
        "the app is fine, they said",
    ]
    words = fit_word_weights(corpus)
    reference = TfidfVectorizer(sublinear_tf=True, min_df=2, token_pattern=TOKEN.pattern).fit(corpus)
    x = reference.transform(corpus)
    for a in range(len(corpus)):
        for b in range(len(corpus)):
            expected = float((x[a] @ x[b].T).toarray()[0, 0])
            assert abs(words.cosine(corpus[a], corpus[b]) - expected) < 1e-9
    # the same story shares its rare words; another story by the same hand shares only the common ones
    assert words.cosine(corpus[0], corpus[1]) > 0.5 > words.cosine(corpus[0], corpus[2])
    assert words.cosine(corpus[0], "") == 0.0 and words.cosine("nothing known here", corpus[0]) == 0.0


def test_the_scorer_counts_shared_words_and_keeps_only_their_weights() -> None:
    import pickle

    from fieldsignal.dedupe.model import DuplicateScorer
    from fieldsignal.dedupe.words import fit_word_weights

    words = fit_word_weights(["Helix WAF go-live", "Helix WAF claims", "Orbis CPU pricing", "Orbis CPU"])
    old = cand(1, "Helix Bank", "no-firewall", [1, 0], "Helix WAF go-live")
    new = cand(2, None, "no-firewall", [1, 0.1], "helix waf claims")
    assert feature(pair_features(old, new), "note_words") == 0.0  # no weights: not counted
    assert feature(pair_features(old, new, words), "note_words") == words.cosine(old.text, new.text) > 0.5
    scorer = DuplicateScorer(scaler=None, classifier=None, words=words)
    words.vector("a note scored once")
    again = pickle.loads(pickle.dumps(scorer))
    assert again.words is not None and again.words.idf == words.idf and not again.words._seen


def test_each_note_is_also_paired_with_its_writers_nearest_earlier_notes() -> None:
    from fieldsignal.dedupe.training import nearest_pairs

    fields = ("id", "duplicate_of", "date", "writer")
    rows = [
        dict(zip(fields, values, strict=True))
        for values in (
            ("a", None, "2026-01-01", "w1"),
            ("b", None, "2026-01-02", "w1"),
            ("c", "a", "2026-01-03", "w1"),
            ("d", None, "2026-01-04", "w2"),
            ("e", None, "2026-01-05", "w1"),
        )
    ]
    directions = {"a": [1, 0], "b": [0, 1], "c": [0.9, 0.1], "d": [1, 0], "e": [0.1, 0.9]}
    found = {i: [cand(i, None, None, [1, 0])] for i in range(len(rows))}
    for i, row in enumerate(rows):
        v = np.asarray(directions[row["id"]], dtype=np.float64)
        found[i][0].note_vector = v / np.linalg.norm(v)
    named = {(rows[a]["id"], rows[b]["id"]): same for a, b, same in nearest_pairs(rows, found, k=1)}
    # each later note with the one earlier note of its own writer nearest it, labelled by the first report
    assert named == {("a", "b"): False, ("a", "c"): True, ("b", "e"): False}


def test_a_log_replay_counts_links_that_join_a_note_to_its_own_story() -> None:
    from fieldsignal.eval.dupes import LogRow, in_a_log

    log = [
        LogRow("Helix wants a WAF", "a", "w1", "2026-01-01", None),
        LogRow("Orbis needs more CPU", "b", "w1", "2026-01-02", None),
        LogRow("helix again on the WAF", "c", "w1", "2026-01-03", "a"),
        LogRow("Orbis: memory this time", "d", "w1", "2026-01-04", None),
        LogRow("Helix, the WAF, third time", "e", "w1", "2026-01-05", "c"),
        LogRow("Quasar wants SSO", "f", "w2", "2026-01-01", None),
    ]
    customer = {"a": "Helix", "b": "Orbis", "c": "Helix", "d": "Orbis", "e": "Helix", "f": "Quasar"}
    found = {row.text: [cand(n, customer[str(row.id)], "no-firewall", [1, n])] for n, row in enumerate(log)}

    class SameCustomer:  # links a note to the latest earlier note of its customer
        link, ask = 0.5, 0.3

        def probabilities(self, old: list[Candidate], new: Candidate) -> np.ndarray:
            return np.asarray([0.5 + c.note_id / 100 if c.customer == new.customer else 0.0 for c in old])

        def may_link(self, old: Candidate, new: Candidate) -> bool:
            return True

    figures = in_a_log(log, found, SameCustomer())
    # c -> a and e -> c are right (one story: a, c, e); d -> b joins two stories of one customer
    assert (figures["links"], figures["second_reports"], figures["questions"]) == (3, 2, 0)
    assert figures["precision"] == round(2 / 3, 4) and figures["recall"] == 1.0

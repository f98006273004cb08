"""Pure unit tests of the gap decision: keyword matching and the known-gap threshold."""

from __future__ import annotations

import re

import numpy as np

from fieldsignal.agent.classify import GapClassifier, GapParams, Prototypes, _has, keyword_text
from fieldsignal.models import NEW_GAP


def test_literal_keywords_match_at_the_start_of_a_word_only() -> None:
    assert _has("autoscal", "they need autoscaling badly")
    assert _has("rds", "data sits in rds today")
    assert not _has("rds", "research dashboards for r users")
    assert not _has("idle", "ridley motors exploring an app")
    assert _has("always-on", "the always on charge")  # hyphens read as spaces on both sides
    assert _has(r"/\bcpu (?:at )?100/", "cpu at 100% at shift change")


def _classifier(similarity: float) -> tuple[GapClassifier, np.ndarray]:
    """One gap whose single prototype has cosine `similarity` with the query vector."""
    proto = np.asarray([[1.0, 0.0]], dtype=np.float32)
    query = np.asarray([similarity, float(np.sqrt(1 - similarity**2))], dtype=np.float32)
    protos = Prototypes(["slow-apps"], proto, np.asarray([0]), ["apps are slow"])
    params = GapParams(head_weight=0.0, keyword_bonus=0.0, known_threshold=0.47, keyword_relief=0.04)
    cue = re.compile(r"\bcan'?t\b")
    return GapClassifier(protos, {"slow-apps": ["sluggish"]}, cue, params), query


def test_a_gap_named_by_keyword_needs_less_similarity_to_be_known() -> None:
    classifier, query = _classifier(0.45)  # under the threshold, within the keyword relief
    named = classifier.decide("the app is sluggish", query[None, :], query, ["the app is sluggish"])
    unnamed = classifier.decide("the app can't keep up", query[None, :], query, ["the app can't keep up"])
    assert named.primary.label == "slow-apps"
    assert unnamed.primary.label == NEW_GAP  # a stated limitation that matches no known gap well


def test_relief_does_not_admit_a_keyword_far_below_the_threshold() -> None:
    classifier, query = _classifier(0.30)
    decision = classifier.decide("the app is sluggish", query[None, :], query, ["the app is sluggish"])
    assert decision.primary.label is None


def test_only_stated_or_confident_good_news_erases_a_blocker() -> None:
    from fieldsignal.agent.triage import good_news_is_sure
    from fieldsignal.models import Scored

    upbeat = Scored(label="Win", confidence=0.45)
    assert not good_news_is_sure(upbeat, {}, 0.7)
    assert good_news_is_sure(upbeat, {"Win": 1}, 0.7)  # "signed", "went live"
    assert good_news_is_sure(Scored(label="Win", confidence=0.9), {}, 0.7)


def test_default_keywords_name_the_right_gap_and_no_other() -> None:
    from fieldsignal.taxonomy import load_taxonomy

    gaps = load_taxonomy().gaps

    def named(text: str) -> set[str]:
        lowered = keyword_text(text)
        return {g.slug for g in gaps if any(_has(k.lower(), lowered) for k in g.keywords)}

    assert named("council wants residents to book without an account") == {"public-urls-without-login"}
    assert named("which wards actually use the rota app? nobody knows") == {"no-user-sessions"}
    assert named("which apps use their postgres today") == {"lakebase-only"}
    assert named("CPU pegged at 9am, there is no bigger size") == {"vertical-only"}
    assert named("Ridley Motors research dashboards") == set()

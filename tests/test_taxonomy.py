from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldsignal.errors import TaxonomyError
from fieldsignal.taxonomy import load_taxonomy

SEED_GAP_NAMES = {
    "No public URLs without login",
    "No firewall",
    "No ingress/egress controls",
    "CVE protection unclear",
    "Vertical only",
    "No horizontal scaling",
    "Fixed 24x7 pricing",
    "No GPU config",
    "Complex model serving",
    "Lakebase only",
    "No custom domains",
    "No user sessions",
}


def test_default_taxonomy_matches_the_source_documents() -> None:
    t = load_taxonomy()
    assert [s.name for s in t.signal_types] == ["Opportunity", "Win", "Loss", "Product Gap", "Competitive"]
    assert set(t.category_names) == {
        "Security",
        "Scaling",
        "Cost",
        "Customization",
        "Database",
        "Domains",
        "Observability",
    }
    assert {g.name for g in t.gaps} == SEED_GAP_NAMES
    assert t.status_names == ["New", "Enriched", "Escalated", "Acknowledged", "Roadmap", "Shipped", "Won't Fix"]
    assert t.priority_rank("public-urls-without-login") == 1
    assert t.priority_rank("no-user-sessions") == 4


def test_every_gap_has_varied_examples_and_a_description() -> None:
    for gap in load_taxonomy().gaps:
        assert len(gap.examples) >= 8, gap.slug
        assert len(set(gap.examples)) == len(gap.examples), gap.slug
        assert len(gap.description) > 40, gap.slug
        assert gap.use_case_blocked


def test_resolve_gap_by_slug_or_name() -> None:
    t = load_taxonomy()
    assert t.resolve_gap("No firewall").slug == "no-firewall"  # type: ignore[union-attr]
    assert t.resolve_gap("no-firewall").slug == "no-firewall"  # type: ignore[union-attr]
    assert t.resolve_gap("no such gap") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _default_text() -> str:
    return (Path(__file__).parents[1] / "fieldsignal" / "taxonomy" / "default.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.replace('category = "Security"', 'category = "Securty"', 1), "Securty"),
        (lambda s: s.replace('slug = "no-firewall"', 'slug = "public-urls-without-login"', 1), "appears twice"),
        (lambda s: s + "\nunexpected_key = 1\n", "unexpected_key"),
        (lambda s: s.replace("version = 1", "version = 1\n[[", 1), "TOML"),
    ],
)
def test_bad_taxonomy_files_say_what_is_wrong(tmp_path: Path, mutate: object, message: str) -> None:
    path = _write(tmp_path, mutate(_default_text()))  # type: ignore[operator]
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert message.lower() in str(info.value).lower()
    assert str(path) in str(info.value)


def test_missing_taxonomy_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match=r"not found|no such"):
        load_taxonomy(tmp_path / "nope.toml")


def test_an_old_file_with_word_lists_is_told_what_to_do(tmp_path: Path) -> None:
    """The triage learns from examples: a cue or keyword list is refused with the fix, not silently ignored."""
    for line in ('cues = ["\\bpilot\\b"]', 'keywords = ["waf"]'):
        text = _default_text().replace('name = "Opportunity"', f'name = "Opportunity"\n{line}', 1)
        with pytest.raises(TaxonomyError, match=r"signal_types\.0.*no longer read.*aliases"):
            load_taxonomy(_write(tmp_path, text))


def test_the_shipped_taxonomy_holds_no_rules() -> None:
    """No regex cues, keyword lists or weights: types, gaps, industries and archetypes are learned."""
    raw = _default_text()
    assert not re.search(r"^\s*(cues|name_cues|keywords|weights|infrastructure)\s*=", raw, re.M)
    assert "\\b" not in raw  # no regular expressions anywhere


def test_types_and_industries_are_checked_against_the_loaded_taxonomy(tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.resolve("signal type", " loss ") == "Loss"
    assert taxonomy.resolve("signal type", "PRODUCT_GAP") == "Product Gap"
    assert taxonomy.resolve("industry", "fsi") == "FSI"
    with pytest.raises(TaxonomyError, match=r"unknown signal type 'Churn'.*Opportunity"):
        taxonomy.resolve("signal type", "Churn")
    extended = _default_text().replace(
        '[[signal_types]]\nname = "Opportunity"',
        '[[signal_types]]\nname = "Churn risk"\ndescription = "x"\n\n[[signal_types]]\nname = "Opportunity"',
        1,
    )
    assert load_taxonomy(_write(tmp_path, extended)).resolve("signal type", "churn risk") == "Churn risk"
    renamed = _default_text().replace('name = "Loss"', 'name = "Lost"', 1)
    with pytest.raises(TaxonomyError, match=r"signal type 'Loss' is missing"):
        load_taxonomy(_write(tmp_path, renamed))

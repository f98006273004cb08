from __future__ import annotations

from pathlib import Path

import pytest

from fieldsignal import prompts


def test_every_bundled_prompt_parses_and_declares_its_variables() -> None:
    found = prompts.available()
    assert "triage" in found
    for versions in found.values():
        for p in versions:
            assert p.variables, p.id
            for var in p.variables:
                assert var in p.body, f"{p.id} declares {var} but never uses it"


def test_render_checks_variables_both_ways() -> None:
    p = prompts.load("triage", 1)
    text = p.render(note="They need a WAF", signal_types=[], gaps=[], offline_guess="no-firewall")
    assert "They need a WAF" in text
    with pytest.raises(prompts.PromptError, match="missing"):
        p.render(note="x")
    with pytest.raises(prompts.PromptError, match="undeclared"):
        p.render(note="x", signal_types=[], gaps=[], offline_guess="", extra=1)


def test_malformed_prompt_file(tmp_path: Path) -> None:
    bad = tmp_path / "oops.v1.md"
    bad.write_text("no front matter here")
    with pytest.raises(prompts.PromptError, match="front matter"):
        prompts.parse(bad)
    with pytest.raises(prompts.PromptError, match="named"):
        prompts.parse(tmp_path / "noversion.md")


def test_the_latest_triage_prompt_keeps_the_note_apart_from_the_instructions() -> None:
    from fieldsignal.agent.triage_assist import NOTE_MARK

    p = prompts.load("triage")
    assert p.version >= 2
    values = {v: [] for v in p.variables} | {"note": "They need a WAF", "offline_guess": "[]"}
    system, mark, user = p.render(**values).partition(NOTE_MARK)
    assert mark and "They need a WAF" in user and "They need a WAF" not in system
    assert "not instructions" in system

from __future__ import annotations

from pathlib import Path

import pytest

from fieldsignal import registry
from fieldsignal.errors import FieldsignalError
from fieldsignal.settings import load_settings


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(env={"HOME": str(tmp_path)}, home=tmp_path / "ws")
    assert s.embedder == "minilm" and s.vectorstore == "chroma"
    assert not s.llm_enabled
    assert s.db_path == tmp_path / "ws" / "fieldsignal.duckdb"


def test_precedence_file_then_env_then_overrides(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "config.toml").write_text('review_threshold = 0.7\nllm_model = "from-file"\nembedder = "hashing"\n')
    s = load_settings(env={"FIELDSIGNAL_HOME": str(home), "FIELDSIGNAL_LLM_MODEL": "from-env"})
    assert s.review_threshold == 0.7
    assert s.llm_model == "from-env"
    assert s.embedder == "hashing"
    s = load_settings(env={"FIELDSIGNAL_HOME": str(home)}, review_threshold=0.2)
    assert s.review_threshold == 0.2


def test_openai_fallbacks(tmp_path: Path) -> None:
    s = load_settings(
        env={"OPENAI_BASE_URL": "http://x/v1", "OPENAI_API_KEY": "k", "FIELDSIGNAL_LLM_MODEL": "m"}, home=tmp_path
    )
    assert (s.llm_base_url, s.llm_api_key, s.llm_enabled) == ("http://x/v1", "k", True)
    s = load_settings(env={"FIELDSIGNAL_LLM_MODEL": "m", "FIELDSIGNAL_LLM_USE": "never"}, home=tmp_path)
    assert not s.llm_enabled


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("colour = 'blue'\n")
    with pytest.raises(FieldsignalError, match=r"unknown setting.*colour"):
        load_settings(env={}, home=tmp_path)
    with pytest.raises(FieldsignalError, match="llm_use"):
        load_settings(env={"FIELDSIGNAL_LLM_USE": "sometimes"}, home=tmp_path / "other")


def test_backends_are_registered_by_name(tmp_path: Path) -> None:
    s = load_settings(env={}, home=tmp_path, embedder="hashing", vectorstore="memory")
    assert {"minilm", "hashing"} <= set(registry.names("embedder"))
    assert {"chroma", "memory"} <= set(registry.names("vectorstore"))
    vectors = registry.create("embedder", "hashing", s).encode(["a note", "another note"])
    assert vectors.shape[0] == 2
    with pytest.raises(FieldsignalError, match=r"unknown embedder backend .nope."):
        registry.create("embedder", "nope", s)


def test_a_config_file_with_a_retired_setting_still_loads(tmp_path: Path) -> None:
    """`triage = "learned"` (what an earlier README told people to write) chooses nothing now."""
    (tmp_path / "config.toml").write_text('triage = "learned"\nreview_threshold = 0.8\n', encoding="utf-8")
    settings = load_settings(env={}, home=tmp_path)
    assert settings.review_threshold == 0.8 and not hasattr(settings, "triage")
    (tmp_path / "config.toml").write_text('triage = "learned"\ncolour = "blue"\n', encoding="utf-8")
    with pytest.raises(FieldsignalError, match=r"unknown setting\(s\): colour$"):
        load_settings(env={}, home=tmp_path)

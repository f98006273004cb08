"""One settings object: the workspace config file plus FIELDSIGNAL_* environment variables.

Precedence, highest first: explicit overrides (CLI flags), environment variables,
`$FIELDSIGNAL_HOME/config.toml`, defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fieldsignal.errors import FieldsignalError

CONFIG_NAME = "config.toml"
# Settings earlier versions read that no longer choose anything; a config file may still hold them.
# `triage`: "rules" or "learned" chose the triage; the learned one is now the only one.
RETIRED = frozenset({"triage"})
ENV_PREFIX = "FIELDSIGNAL_"
# Env vars without our prefix that we honour as fallbacks (OpenAI client conventions).
FALLBACK_ENV = {"llm_base_url": "OPENAI_BASE_URL", "llm_api_key": "OPENAI_API_KEY"}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home: Path = Field(default_factory=lambda: Path.home() / ".fieldsignal")
    taxonomy: Path | None = None
    embedder: str = "minilm"
    # The triage's training corpus (default data/corpus/corpus.jsonl): the models of fieldsignal/triage
    # are trained on it on first use (or `fieldsignal train`) and cached under the user's cache folder.
    corpus: Path | None = None
    # The triage reads notes with the local MiniLM fine-tuned on that corpus (tuned once, cached beside
    # the triage model); false: with the bundled MiniLM as it is (quicker to build, less accurate).
    tune_encoder: bool = True
    # Notes are read with ONNX Runtime; true: with int8 weights (a quarter of the memory, slightly
    # different vectors: see the README's figures before turning it on).
    quantize: bool = False
    vectorstore: str = "chroma"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_use: Literal["uncertain", "always", "never"] = "uncertain"
    # openai: OpenAI, vLLM, Ollama, any OpenAI-compatible URL with a key; databricks: a serving endpoint
    # called as the app's own identity (databricks-sdk auth, no key to store); azure: Azure OpenAI
    llm_provider: Literal["openai", "azure", "databricks"] = "openai"
    llm_api_version: str | None = None  # Azure OpenAI only
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)  # 429 and 5xx, with backoff
    llm_concurrency: int = Field(default=4, ge=1, le=64)
    llm_redact_customers: bool = True  # customer names leave the machine as placeholders
    token: str | None = None
    # Inside the Databricks Apps runtime the platform's proxy signs users in and forwards who they are
    # (X-Forwarded-Email ...). Only there are those headers trusted; anywhere else anyone can send them.
    databricks_app: bool = False
    review_threshold: float = Field(default=0.70, ge=0.0, le=1.0)
    max_note_bytes: int = 2_000_000
    max_container_bytes: int = 200_000_000
    lock_timeout_seconds: float = 15.0
    # The log in PostgreSQL (a team's shared log; Lakebase in a Databricks App) instead of the DuckDB
    # file in `home`: postgresql://user:password@host:port/db. Inside the Apps runtime with a database
    # resource, the PG* variables it injects are used ("postgresql://" alone: libpq reads them).
    database_url: str | None = None
    # Lakebase: with no password in the URL or PGPASSWORD, an OAuth token is minted for this database
    # instance with databricks-sdk (as the app's service principal) and renewed before it expires.
    database_instance: str | None = None
    # Published memos: the .eml's sender and recipients, and the web app's address (each cited #id in the
    # published HTML then links to its signal's page).
    memo_from: str = "fieldsignal <fieldsignal@localhost>"
    memo_to: str | None = None
    base_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, url: str | None) -> str | None:
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"must be a postgresql:// URL (got {url.split(':')[0]!r}: …)")
        return url or None

    @property
    def db_path(self) -> Path:
        return self.home / "fieldsignal.duckdb"

    @property
    def store(self) -> Path | str:
        """Where the log lives: the PostgreSQL URL, or the workspace's DuckDB file."""
        return self.database_url or self.db_path

    def log_exists(self) -> bool:
        """Whether there is a log to read (a PostgreSQL log always is: it is migrated on first open)."""
        return self.shared_store or self.db_path.exists()

    @property
    def shared_store(self) -> bool:
        """True when the log is a PostgreSQL database that other processes and machines write too."""
        return bool(self.database_url)

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def cache_path(self) -> Path:
        return self.home / "cache"

    @property
    def outbox_path(self) -> Path:
        return self.home / "outbox"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model) and self.llm_use != "never"


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the config file in the workspace, then env, then overrides."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    from_env = _from_env(env)
    home = Path(overrides.get("home") or from_env.get("home") or Settings().home).expanduser()
    values.update(_from_file(home / CONFIG_NAME))
    values.update(from_env)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["home"] = home
    if databricks_app_runtime(env):
        values["databricks_app"] = True
        if "database_url" not in values and env.get("PGHOST"):  # the app's database resource
            values["database_url"] = "postgresql://"
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FieldsignalError(f"invalid setting {where}: {first['msg']}") from None


def databricks_app_runtime(env: dict[str, str]) -> bool:
    """True inside the Databricks Apps runtime: the platform sets the app's name and port there."""
    return bool(env.get("DATABRICKS_APP_NAME") and env.get("DATABRICKS_APP_PORT"))


def _from_env(env: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        raw = env.get(ENV_PREFIX + name.upper()) or env.get(FALLBACK_ENV.get(name, ""), "")
        if raw:
            values[name] = raw
    return values


def _from_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FieldsignalError(f"{path}: not valid TOML: {exc}") from None
    for key in RETIRED & set(data):
        del data[key]  # a setting that no longer chooses anything: the file still loads
    unknown = set(data) - set(Settings.model_fields)
    if unknown:
        raise FieldsignalError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    return data

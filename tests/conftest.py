from __future__ import annotations

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: each worker (and the processes it starts) keeps to one
    # thread, as OpenMP and BLAS threads that outnumber the cores spin instead of working.
    for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_threads, "1")
import functools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.testing

from fieldsignal.settings import Settings, load_settings
from fieldsignal.workspace import Workspace
from tests.fake_openai import FakeOpenAI
from tests.pg_server import PostgresServer, find_bin

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["COLUMNS"] = "200"  # the CLI's consoles are made once per process, at their first import, this wide
ROOT = Path(__file__).resolve().parents[1]
# Tests on the real local model read notes with it as bundled: the tuned encoder the product ships
# takes ~20 minutes to build on 2 cores (`make test` builds this one, `make setup` the tuned one).
# The tuning itself is tested on small sets in test_finetune.py.
TUNE_ENCODER = False
pytest_plugins = ["tests.scheduling"]  # longest modules first (see there)


# Typer's test runner builds the command tree from the app's functions at every call (about 40 ms: each command's
# signature read and its options made; 15 CPU-seconds of the suite), where the `fieldsignal` script builds it once
# per process. The tree holds no state of a run (each run gets its own context): built once per app here too.
typer.testing._get_command = functools.cache(typer.testing._get_command)


@pytest.fixture(scope="session", autouse=True)
def triage_model_on_the_hashing_encoder() -> tuple[Any, dict[str, Any]]:
    """Build (or load) the corpus-trained triage on the hashing encoder once, before any test needs it:
    (the model, its cached bundle), for the tests that read it.

    It is cached like a user's (keyed by corpus, taxonomy and code), so the CLI subprocesses of the
    tests load it instead of each building it under a timeout.
    """
    from fieldsignal import registry
    from fieldsignal.taxonomy import load_taxonomy
    from fieldsignal.triage import shipped

    settings = load_settings(env={}, embedder="hashing", vectorstore="memory")
    return shipped.load_or_build(load_taxonomy(), registry.create("token_encoder", "hashing", settings))


@pytest.fixture(scope="session", autouse=True)
def duplicate_scorer_on_the_hashing_encoder(
    triage_model_on_the_hashing_encoder: tuple[Any, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Build (or load) the duplicate scorer of that model once, before any test needs it: it is keyed by the
    triage model, so after a change to `fieldsignal/triage/` it is fitted again (minutes), and the first CLI
    process to need it had been building it under its test's timeout (and failed the suite's first run)."""
    home = tmp_path_factory.mktemp("scorer-ws")
    Workspace(load_settings(env={}, home=home, embedder="hashing", vectorstore="memory")).train()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A real OpenAI-protocol HTTP server on loopback; tests script its replies."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fast_settings(tmp_path: Path) -> Settings:
    """A fresh workspace on the hashing embedder and the in-memory index (no model)."""
    return load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory")


@pytest.fixture
def fast_ws(fast_settings: Settings) -> Workspace:
    return Workspace(fast_settings)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (the Debian binaries, on a temporary folder)."""
    folder = find_bin()
    if folder is None:
        pytest.fail("PostgreSQL server binaries not found (initdb, pg_ctl): set FIELDSIGNAL_PG_BIN")
    server = PostgresServer(folder).start()
    yield server
    server.stop()


@pytest.fixture(params=["duckdb", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Each engine in turn: None (the workspace's DuckDB file) or a fresh PostgreSQL database's URL."""
    if request.param == "duckdb":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def both_settings(tmp_path: Path, store_url: str | None) -> Settings:
    """Like fast_settings, on each engine in turn."""
    return engine_settings(tmp_path / "ws", store_url)


def engine_settings(home: Path, store_url: str | None) -> Settings:
    """A workspace at `home` on the hashing embedder and the in-memory index, its log the DuckDB file or
    the PostgreSQL database at `store_url`. The workspace's config file names the PostgreSQL log, so CLI
    processes started on this home use it too."""
    if store_url:
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(f'database_url = "{store_url}"\n', encoding="utf-8")
    return load_settings(env={}, home=home, embedder="hashing", vectorstore="memory")


@pytest.fixture(scope="session")
def model_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-ws")


@pytest.fixture
def model_settings(tmp_path: Path) -> Settings:
    """A fresh workspace on the real local model and real Chroma."""
    return load_settings(env={}, home=tmp_path / "ws", tune_encoder=TUNE_ENCODER)


def run_cli(
    *args: str,
    home: Path,
    stdin: str | None = None,
    embedder: str = "hashing",
    extra_env: dict[str, str] | None = None,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`fieldsignal ARGS` on the workspace HOME: in this process through Typer's runner (the same app,
    arguments, environment, stdin and exit code as the installed script), or with `process=True` as
    `python -m fieldsignal` in a child process, for what only a fresh process shows (what a command
    imports, the single-writer lock between processes)."""
    settings_env = {
        "FIELDSIGNAL_HOME": str(home),
        "FIELDSIGNAL_EMBEDDER": embedder,
        "FIELDSIGNAL_TUNE_ENCODER": str(TUNE_ENCODER).lower(),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
        **(extra_env or {}),
    }
    if not process:
        return _run_in_process(list(args), stdin, settings_env)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    env.update(settings_env)
    return subprocess.run(
        [sys.executable, "-m", "fieldsignal", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _run_in_process(args: list[str], stdin: str | None, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from typer.testing import CliRunner

    from fieldsignal.cli import app
    from fieldsignal.store.db import close_idle

    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    try:
        result = CliRunner().invoke(app, args, input=stdin, env={**unset, **env}, prog_name="fieldsignal")
    finally:
        close_idle()  # what the process's exit does: the log file is free for the next reader
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash fails the test with its traceback, as a child's traceback would show
    return subprocess.CompletedProcess(["fieldsignal", *args], result.exit_code, result.stdout, result.stderr)

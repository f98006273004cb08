"""The Databricks job of the backfill (databricks.yml): every task runs a command the CLI accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
import yaml

from fieldsignal.cli import app
from tests.conftest import ROOT

BUNDLE = yaml.safe_load((ROOT / "databricks.yml").read_text(encoding="utf-8"))
JOB = BUNDLE["resources"]["jobs"]["fieldsignal_backfill"]
TASKS = {t["task_key"]: t for t in JOB["tasks"]}


def parse(arguments: list[str]) -> Any:
    """The arguments as `fieldsignal` parses them, as a click context (a usage error for an unknown
    command or option; typer's own copy of click, reached through its objects only)."""
    group: Any = typer.main.get_command(app)
    name, *rest = arguments
    assert name in group.commands, f"no command {name!r}"
    return group.commands[name].make_context(name, rest)


@pytest.mark.parametrize("key", sorted(TASKS))
def test_every_task_runs_a_command_the_cli_accepts(key: str) -> None:
    task = TASKS[key]["python_wheel_task"]
    assert (task["package_name"], task["entry_point"]) == ("fieldsignal", "fieldsignal")
    parse(task["parameters"])


def test_a_wrong_option_in_a_task_would_be_caught() -> None:
    with pytest.raises(Exception, match="No such option: --outptu"):
        parse(["backfill", "table:x", "--outptu", "/tmp/x"])


def test_the_tasks_run_in_order_on_one_cluster_that_shares_the_model() -> None:
    order = {key: [d["task_key"] for d in task.get("depends_on", [])] for key, task in TASKS.items()}
    assert order == {"train": [], "backfill": ["train"], "store": ["backfill"]}
    written = parse(TASKS["backfill"]["python_wheel_task"]["parameters"]).params
    stored = parse(TASKS["store"]["python_wheel_task"]["parameters"]).params
    assert written["fmt"] == "delta" and written["store"] is False
    assert stored["paths"] == [str(written["output"])]  # the store task reads what the backfill wrote
    env = JOB["job_clusters"][0]["new_cluster"]["spark_env_vars"]
    assert {"FIELDSIGNAL_CACHE_DIR", "FIELDSIGNAL_CORPUS", "FIELDSIGNAL_DATABASE_INSTANCE"} <= set(env)


def test_every_variable_the_bundle_uses_is_declared() -> None:
    used = set(re.findall(r"\$\{var\.(\w+)\}", (ROOT / "databricks.yml").read_text(encoding="utf-8")))
    declared: dict[str, Any] = BUNDLE["variables"]
    assert used and used <= set(declared)
    assert all("default" in spec for spec in declared.values())

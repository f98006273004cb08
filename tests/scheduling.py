"""Longest modules first, so two workers finish together.

`make test` gives each worker whole modules (`--dist loadscope`: a module's fixtures, such as a Spark
session or a trained model, are built once). xdist hands modules out in the order it is given them, by
default the modules with the most tests first: the Spark backfill (2 tests, ~25 s) came last, and one
worker ran it alone for 25 s after the other had finished. Here the modules are ordered by the seconds
they took in a measured run (`tests/module_seconds.json`), longest first, and the Makefile passes
`--no-loadscope-reorder` so xdist keeps that order. A module not in the file is placed by the median.

    pytest -n 2 --dist loadscope --no-loadscope-reorder --store-module-seconds   # measure them again
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

SECONDS = Path(__file__).with_name("module_seconds.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-module-seconds",
        action="store_true",
        help=f"write the seconds each module's tests took to {SECONDS.name} (run order of later runs)",
    )


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def stored() -> dict[str, float]:
    try:
        data = json.loads(SECONDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def longest_first(items: list[pytest.Item], seconds: dict[str, float]) -> list[pytest.Item]:
    """The items, module by module, the modules by their recorded seconds (longest first; unknown ones
    at the median), each module's tests in their own order. Stable: equal modules keep their order."""
    modules: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        modules[module_of(item.nodeid)].append(item)
    default = statistics.median(seconds.values()) if seconds else 0.0
    order = sorted(modules, key=lambda m: -seconds.get(m, default))
    return [item for module in order for item in modules[module]]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = longest_first(items, stored())


class _Recorder:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration  # setup, call and teardown

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        merged = {**stored(), **{m: round(s, 1) for m, s in self.seconds.items()}}  # a partial run keeps the rest
        SECONDS.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    # on the controller only (a worker has `workerinput`): it receives every worker's reports
    if config.getoption("--store-module-seconds") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(), "module-seconds-recorder")

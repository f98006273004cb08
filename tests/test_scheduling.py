"""The run order of `make test`: modules longest first, each module's tests in their own order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.scheduling import longest_first


def items(*nodeids: str) -> list[Any]:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_modules_run_longest_first_and_keep_their_tests_order() -> None:
    given = items("a.py::t1", "b.py::t1", "a.py::t2", "c.py::t1", "b.py::t2")
    ordered = longest_first(given, {"a.py": 1.0, "b.py": 30.0, "c.py": 5.0})
    assert [i.nodeid for i in ordered] == ["b.py::t1", "b.py::t2", "c.py::t1", "a.py::t1", "a.py::t2"]


def test_a_module_never_measured_runs_among_the_median_ones() -> None:
    given = items("new.py::t", "slow.py::t", "mid.py::t", "quick.py::t")
    ordered = longest_first(given, {"slow.py": 40.0, "mid.py": 10.0, "quick.py": 1.0})
    assert [i.nodeid for i in ordered] == ["slow.py::t", "new.py::t", "mid.py::t", "quick.py::t"]
    assert [i.nodeid for i in longest_first(given, {})] == [i.nodeid for i in given]  # nothing measured: as collected

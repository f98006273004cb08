"""Backends come from the `fieldsignal.backends` entry points: the built-ins and a third-party plugin alike."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    from fieldsignal import registry
    from fieldsignal.settings import load_settings
    print(registry.names("embedder"))
    print(type(registry.create("embedder", "plugin-echo", load_settings(env={}))).__name__)
    """
)


def test_a_plugin_package_registers_a_backend_as_the_built_ins_do(tmp_path: Path) -> None:
    # an installed distribution, as pip leaves it: its module and its entry points in a dist-info folder
    (tmp_path / "echo_plugin.py").write_text(
        "from fieldsignal.registry import register\n"
        "class EchoEmbedder:\n    name = 'plugin-echo'\n"
        "register('embedder', 'plugin-echo')(lambda settings: EchoEmbedder())\n"
    )
    info = tmp_path / "echo_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[fieldsignal.backends]\necho = echo_plugin\n")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path), "PATH": ""}
    )
    assert done.returncode == 0, done.stderr[-1500:]
    names, made = done.stdout.splitlines()
    assert "'plugin-echo'" in names and "'minilm'" in names and "'hashing'" in names  # built-ins still there
    assert made == "EchoEmbedder"


def test_a_broken_plugin_is_named_in_one_line(tmp_path: Path) -> None:
    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[fieldsignal.backends]\nbroken = no_such_module_here\n")
    probe = "from fieldsignal import registry\ntry:\n registry.names('embedder')\nexcept Exception as exc:\n print(exc)"
    env = {"PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert "the backend plugin 'broken' (no_such_module_here) failed to load" in done.stdout

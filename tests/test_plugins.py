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


def test_an_index_plugin_describes_its_own_storage_and_the_core_never_names_it(tmp_path: Path) -> None:
    """`reindex` deletes an index's data through the storage its backend registers, and a workspace asks
    that storage, not the backend's name, whether there is an index to open ahead of an import."""
    from fieldsignal import registry
    from fieldsignal.ingest import note_from_text
    from fieldsignal.settings import load_settings
    from fieldsignal.vectorstore.index import MemoryIndex
    from fieldsignal.workspace import Workspace

    folder = tmp_path / "plugin-index"
    wiped: list[Path] = []

    class DiskOfMine:
        def exists(self) -> bool:
            return folder.is_dir()

        def wipe(self) -> None:
            wiped.append(folder)
            folder.rmdir()

    def opened(settings: object) -> MemoryIndex:
        folder.mkdir(exist_ok=True)
        return MemoryIndex()

    registry.register("vectorstore", "plugin-disk")(opened)
    registry.register("vectorstore_storage", "plugin-disk")(lambda settings: DiskOfMine())
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="plugin-disk")
    ws = Workspace(settings)
    assert not ws.vector_index.exists()  # nothing created yet: an import does not open it ahead
    ws.add_notes([note_from_text("Lost Acme to Snowflake: no SSO in Apps")])
    assert ws.vector_index.exists() and not wiped
    counts = ws.reindex()
    assert wiped == [folder] and folder.is_dir()  # wiped, then created again by the fresh index
    assert counts["signals"] == len(ws.list_signals())

    registry.register("vectorstore", "plugin-bare")(lambda settings: MemoryIndex())  # no storage registered
    bare = Workspace(load_settings(env={}, home=tmp_path / "ws2", embedder="hashing", vectorstore="plugin-bare"))
    assert bare.vector_index.exists()
    assert bare.reindex()["signals"] == 0

"""Commands that do not embed must not pay for torch, sentence-transformers or chromadb (nor, when
they only read the log, numpy or the ingest package)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "sentence_transformers", "chromadb", "transformers")
NOT_FOR_READING = (*HEAVY, "numpy", "fieldsignal.ingest")  # a command that reads the log parses no files
PROBE = """
import json, sys
sys.argv = ["fieldsignal", *json.loads(sys.argv[1])]
from fieldsignal.cli import app
try:
    app()
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


@pytest.mark.parametrize(
    "args", [["list", "--json"], ["tally", "--json"], ["--help"], ["taxonomy", "show"], ["review", "--json"]]
)
def test_light_commands_do_not_import_the_model_or_chroma(tmp_path: Path, args: list[str]) -> None:
    env = {**os.environ, "FIELDSIGNAL_HOME": str(tmp_path / "ws")}
    r = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=NOT_FOR_READING), json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("HEAVY="))
    assert json.loads(line.removeprefix("HEAVY=")) == [], r.stderr


@pytest.mark.model
def test_a_paste_reads_the_note_with_onnx_runtime_not_torch(tmp_path: Path) -> None:
    """The real local model on the paste path: ONNX Runtime, `tokenizers` and numpy heads; never torch,
    transformers, scikit-learn, SciPy or Chroma (the vector index catches up when it is next read)."""
    from tests.conftest import TUNE_ENCODER

    env = {
        **os.environ,
        "FIELDSIGNAL_HOME": str(tmp_path / "ws"),
        "FIELDSIGNAL_EMBEDDER": "minilm",
        "FIELDSIGNAL_TUNE_ENCODER": str(TUNE_ENCODER).lower(),
    }
    args = ["add", "Lost Bluefin Capital to Snowflake, they needed private networking. $1.2M over 3 yrs", "--json"]
    probe = PROBE.format(heavy=("torch", "transformers", "sentence_transformers", "sklearn", "scipy", "chromadb"))
    r = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert json.loads(r.stdout)["signals"], r.stdout + r.stderr  # the note was read and stored
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("HEAVY="))
    assert json.loads(line.removeprefix("HEAVY=")) == [], r.stderr


@pytest.mark.model
def test_the_onnx_export_gives_sentence_transformers_vectors_from_mapped_weights() -> None:
    """The exported MiniLM reads notes as sentence-transformers does, and its weights sit in a file of
    their own (ONNX Runtime maps it into memory rather than copying it into each process)."""
    import numpy as np

    from fieldsignal.vectorstore.embedder import MiniLMEmbedder, base_model_path, fresh_base_model
    from fieldsignal.vectorstore.onnx_bert import exported

    folder = exported(Path(base_model_path()))
    graph, weights = folder / "model.onnx", folder / "model.onnx.data"
    assert weights.stat().st_size > 80e6 and graph.stat().st_size < 1e6
    texts = ["Lost Bluefin Capital to Snowflake, they needed private networking.", "SSO groups?", "x " * 400]
    ours = MiniLMEmbedder().encode(texts)
    theirs = fresh_base_model().encode(texts, normalize_embeddings=True)
    assert np.abs(ours - theirs).max() < 1e-5

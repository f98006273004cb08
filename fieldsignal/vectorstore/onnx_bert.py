"""BERT-style encoders on ONNX Runtime and `tokenizers`: notes are read without torch.

A sentence-transformers folder (the bundled MiniLM, or the triage's tuned copy of it) is exported to
ONNX once, on first use or at set-up, and cached under the user's cache folder, keyed by the folder
and its weights. Only the export imports torch and transformers (the training extras); reading
notes needs onnxruntime, `tokenizers` and numpy. `quantize=True` adds int8 dynamic quantization of
the weights (a quarter of the size; measured against float32 in the README before it is a default).

The weights are saved beside the graph (`model.onnx.data`, ONNX's external-data format): ONNX Runtime
maps that file into memory instead of copying it, so a process holds only the pages it reads (the
30,522-row word-piece table is mostly never touched): a session alone takes 102 MiB instead of 187, and a
cold paste peaks at about 262 MiB instead of 322-330.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.cache import building, cache_dir, prune

FORMAT = "fused-external-data-1"  # how an export is laid out; a new layout is a new cache key
KEEP_EXPORTS = 20  # exported models kept (base, shipped, evaluation folds; float32 and int8)
_LOCK = threading.Lock()
_SESSIONS: dict[Path, OnnxBert] = {}


def export_key(model_folder: Path, quantize: bool) -> str:
    """The export's cache key: which folder, which weights (size and time), float32 or int8."""
    weights = model_folder / "model.safetensors"
    stat = weights.stat()
    digest = hashlib.sha256(f"{model_folder.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{FORMAT}".encode())
    return digest.hexdigest()[:16] + ("-int8" if quantize else "")


def exported(model_folder: Path, quantize: bool = False) -> Path:
    """The folder holding `model.onnx` and `tokenizer.json` for `model_folder` (exported now if missing)."""
    target = cache_dir() / "onnx" / export_key(model_folder, quantize)
    if (target / "model.onnx").exists():
        with suppress(OSError):
            os.utime(target / "model.onnx")  # recently used: kept when old exports are pruned
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with building(target.parent, f"{target.name}.lock"):
        if (target / "model.onnx").exists():
            return target  # another process exported it while this one waited
        partial = target.parent / f"{target.name}.{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        _export(model_folder, partial / "model.onnx", quantize)
        shutil.copy(model_folder / "tokenizer.json", partial / "tokenizer.json")
        shutil.rmtree(target, ignore_errors=True)
        partial.replace(target)  # atomic: no reader sees half a model
    prune(target.parent, "model.onnx", KEEP_EXPORTS)
    return target


def _export(model_folder: Path, path: Path, quantize: bool) -> None:
    """Trace the transformer (no pooling) to ONNX: input ids and mask in, one vector per word piece out;
    then fuse its attention, layer norms and GELUs into ONNX Runtime's BERT operators (its transformer
    optimizer: a one-note pass 8.6 -> 7.2 ms on 2 cores, the same vectors to 3e-6)."""
    import warnings

    from fieldsignal.vectorstore.offline import offline_environment

    offline_environment()
    import torch
    from transformers import AutoModel

    # eager attention traces to the pattern the optimizer fuses (the default, SDPA, is left unfused)
    network = AutoModel.from_pretrained(str(model_folder), local_files_only=True, attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            out = self.network(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            )
            return out.last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "length"}
    float_path = path.with_suffix(".f32.onnx") if quantize else path
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(),
            (ids, torch.ones_like(ids)),
            str(float_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )
    _fuse(float_path, int(network.config.num_attention_heads), int(network.config.hidden_size))
    if quantize:
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.getLogger().setLevel(logging.ERROR)  # the quantizer suggests pre-processing, at warning level
        quantize_dynamic(str(float_path), str(path), weight_type=QuantType.QInt8)
        float_path.unlink()
    _weights_beside(path)


def _fuse(path: Path, heads: int, hidden: int) -> None:
    """Rewrite the graph at `path` with ONNX Runtime's fused BERT operators (the Python fusions only: the
    session applies its own graph optimizations when it loads)."""
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0).save_model_to_file(
        str(path)
    )


def _weights_beside(path: Path) -> None:
    """Move the weights out of `path` into `<name>.data` beside it, where ONNX Runtime memory-maps them."""
    import onnx

    model = onnx.load(str(path))
    path.unlink()
    onnx.save_model(
        model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
        location=f"{path.name}.data", size_threshold=1024,
    )  # fmt: skip


@dataclass(frozen=True)
class Window:
    """One window of a tokenised text: its word-piece ids, character offsets ((0, 0) for [CLS]/[SEP])."""

    owner: int  # which text of the batch
    ids: np.ndarray  # (n,) int64
    offsets: np.ndarray  # (n, 2) int32


class OnnxBert:
    """A tokenizer and an ONNX Runtime session: word-piece vectors for texts, no torch."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self._tokenizing = threading.Lock()  # truncation is tokenizer state: set and used by one thread
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.add_session_config_entry("session.disable_prepacking", "1")  # weights once in memory, not twice
        # Threads that have run a batch sleep at once instead of spinning for more work: a paste runs two
        # encoders in turn, and one's spinning threads held the cores the other needed (a one-note pass
        # took 16-23 ms instead of 11 on 2 cores, bench/encoder_threads.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[2] or 384)

    @classmethod
    def load(cls, folder: Path) -> OnnxBert:
        """One session per exported model per process (sessions are thread-safe)."""
        with _LOCK:
            if folder not in _SESSIONS:
                _SESSIONS[folder] = cls(folder)
            return _SESSIONS[folder]

    @classmethod
    def release_all(cls) -> None:
        """Drop this process's sessions (their memory goes once nothing else holds them)."""
        with _LOCK:
            _SESSIONS.clear()

    def windows(self, texts: Sequence[str], length: int, stride: int = 0, limit: int = 1) -> list[Window]:
        """Each text in windows of at most `length` word pieces overlapping by `stride`, the first `limit`."""
        with self._tokenizing:
            self.tokenizer.enable_truncation(length, stride=stride)
            encodings = self.tokenizer.encode_batch(list(texts))
        out = []
        for owner, encoding in enumerate(encodings):
            for part in [encoding, *encoding.overflowing][:limit]:
                out.append(Window(owner, np.asarray(part.ids, np.int64), np.asarray(part.offsets, np.int32)))
        return out

    def hidden(self, windows: Sequence[Window], batch_size: int = 16) -> list[np.ndarray]:
        """The last hidden state of every window, (n, dim) each; batched by length (little padding)."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(windows)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(windows[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                n = len(windows[i].ids)
                ids[r, :n], mask[r, :n] = windows[i].ids, 1
            (states,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            for r, i in enumerate(rows):
                out[i] = np.asarray(states[r, : len(windows[i].ids)], np.float32)
        return out

    def sentence_vectors(self, texts: Sequence[str], length: int = 256, batch_size: int = 32) -> np.ndarray:
        """Mean of the word-piece vectors (sentence-transformers' pooling), L2-normalised."""
        windows = self.windows(texts, length)
        states = self.hidden(windows, batch_size)
        vectors = np.stack([s.mean(axis=0) for s in states]) if states else np.zeros((0, self.dim), np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)

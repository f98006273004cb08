"""A cold `fieldsignal add` with a model configured: wall time and peak memory of the process.

The model is the tests' OpenAI-protocol server on loopback (it answers at once), so what is measured
is the process: the offline triage, the PII recogniser loaded on the first call, the request, the write.
Measured 2026-12-06 on 2 cores shared with an evaluation: 5.0 s and 397 MiB with spaCy and Presidio
imported without torch and transformers (`ingest/import_guard.py`); 8.8 s and 706 MiB before. On idle
cores, three runs: 4.36 s (median), 399 MiB.

    python bench/bench_llm_paste.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_triage import run  # noqa: E402  (this folder: one fresh process's wall time and peak memory)

from tests.fake_openai import FakeOpenAI, Reply  # noqa: E402

NOTE = "Lost Bluefin Capital to Snowflake, they needed private networking. $1.2M over 3 yrs. Cheers, Marco Rossi"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    server = FakeOpenAI().start()
    answer = {"signals": [{"signal_type": "Loss", "gap": "no-private-networking"}], "deal": {}}
    server.replies = [Reply(json.dumps(answer))]
    walls, peaks = [], []
    try:
        for _ in range(repeat):
            env = {
                **os.environ,
                "FIELDSIGNAL_HOME": tempfile.mkdtemp(),
                "FIELDSIGNAL_EMBEDDER": "minilm",
                "FIELDSIGNAL_LLM_MODEL": "bench-model",
                "FIELDSIGNAL_LLM_API_KEY": "sk-bench",
                "FIELDSIGNAL_LLM_BASE_URL": server.base_url,
                "FIELDSIGNAL_LLM_USE": "always",
            }
            before = len(server.requests)
            wall, peak = run([sys.executable, "-m", "fieldsignal", "add", NOTE, "--json"], env)
            walls.append(wall)
            peaks.append(peak)
            if len(server.requests) == before:
                raise SystemExit("the paste never asked the model")
    finally:
        server.stop()
    print(f"cold add with a model: {statistics.median(walls):.2f} s (median of {repeat}), peak {max(peaks):.0f} MiB")


if __name__ == "__main__":
    main()

"""How fast this machine is right now, to read other timings beside: the same fixed work every run.

    python bench/machine_probe.py

A Python loop (interpreter speed, in cache) and a numpy loop that streams memory (normalise and multiply
2,000 × 384 matrices, as an encoder's and the index's arithmetic does). On a shared machine the second drifts
with the neighbours: on 2026-12-07 it took 13.5-16.1 s through the afternoon, while the test suite's CPU
seconds rose by a third with the code unchanged (so it shows that the machine moves, not by how much).

A third probe reads one value on each 4 KiB page of 50 MB, again at once and after the process slept
0.05 to 3 s. On this machine's virtual machine (kdamond running: the kernel's DAMON samples which pages
are used, clearing their access bits every half second) memory left alone a moment is slow to touch
again: on 2026-12-07, 0.19 ms at once, 2.2 ms after 0.05 s, 12 ms after 0.3 s, 25 ms after 1 s and
54 ms after 3 s, all user CPU time with no page fault the process sees. A paste touches the encoders'
180 MB of weights and DuckDB's parser between its steps, so its timings carry this too.
"""

from __future__ import annotations

import time

import numpy as np


def main() -> None:
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i * i
    print(f"python loop: {time.perf_counter() - started:.2f} s")
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(200):
        a = rng.normal(size=(2000, 384)).astype(np.float32)
        b = a / np.linalg.norm(a, axis=1, keepdims=True)
        (b @ b.T).argsort(axis=1)[:, -5:]
    print(f"numpy loop: {time.perf_counter() - started:.2f} s")
    for pause in (0.0, 0.05, 0.3, 1.0, 3.0):
        print(f"touching 50 MB after {pause:.2f} s asleep: {touch_after(pause, 5):.2f} ms (median of 5)")


def touch_after(seconds: float, repeats: int = 3) -> float:
    """Milliseconds to read one value on each 4 KiB page of 50 MB after sleeping `seconds` (the median)."""
    pages = np.ones(50_000_000 // 8)
    took = []
    for _ in range(repeats):
        time.sleep(seconds)
        started = time.perf_counter()
        pages[::512].sum()
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)[repeats // 2]


if __name__ == "__main__":
    main()

"""How fast this machine is right now, to read other timings beside: the same fixed work every run.

    python bench/machine_probe.py

A Python loop (interpreter speed, in cache) and a numpy loop that streams memory (normalise and multiply
2,000 × 384 matrices, as an encoder's and the index's arithmetic does). On a shared machine the second drifts
with the neighbours: on 2026-12-07 it took 13.5-16.1 s through the afternoon, while the test suite's CPU
seconds rose by a third with the code unchanged (so it shows that the machine moves, not by how much).
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


if __name__ == "__main__":
    main()

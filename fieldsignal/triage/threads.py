"""The triage's models are fitted on one BLAS/OpenMP thread.

Its fits are many small ones (calibrated logistic heads, a span tagger, gradient-boosted trees over a
few features): threads add more synchronisation than work to them, and spin when other processes
share the cores. Measured on 2 cores, a review correction's refit of the real model's heads took 16 s
with the default threads and 7 s with one. One thread also makes a fit's floating-point sums the
same on every machine, so a seed gives the same model whatever the core count.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def one_thread(fit: Callable[P, R]) -> Callable[P, R]:
    """Run `fit` with BLAS and OpenMP limited to one thread (restored afterwards)."""

    @functools.wraps(fit)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fit(*args, **kwargs)

    return wrapper

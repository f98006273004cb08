"""Hub access off and the model libraries quiet: set before transformers or sentence-transformers load."""

from __future__ import annotations

import os


def offline_environment() -> None:
    """Hub access off and the libraries quiet, before transformers or sentence-transformers load."""
    for name, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("TOKENIZERS_PARALLELISM", "false"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
    ):
        os.environ.setdefault(name, value)

"""The token encoders the triage reads notes with, registered as backends (declared under the
`fieldsignal.backends` entry points like any plugin's). `minilm` is the tuning recipe (`tuned_encoder.py`, which
imports torch only when it tunes); `hashing` is a model-free stand-in for fast tests."""

from __future__ import annotations

from typing import Any

from fieldsignal.registry import register
from fieldsignal.triage.encoder import HashingTokenEncoder, TokenEncoder


@register("token_encoder", "minilm")
def _minilm(settings: Any) -> TokenEncoder:
    from fieldsignal.triage.tuned_encoder import tuned_minilm

    return tuned_minilm(settings)


@register("token_encoder", "hashing")
def _hashing(settings: Any) -> HashingTokenEncoder:
    return HashingTokenEncoder()

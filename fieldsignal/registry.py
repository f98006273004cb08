"""Backends registered by name, so real ones and test fakes are chosen the same way.

A backend factory takes the Settings and returns an object that satisfies the
protocol of its kind (see vectorstore.embedder.Embedder, vectorstore.index.VectorIndex).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fieldsignal.errors import FieldsignalError

Factory = Callable[[Any], Any]
_REGISTRY: dict[str, dict[str, Factory]] = {}


def register(kind: str, name: str) -> Callable[[Factory], Factory]:
    """Decorator: make `factory(settings)` available as backend `name` of `kind`."""

    def add(factory: Factory) -> Factory:
        _REGISTRY.setdefault(kind, {})[name] = factory
        return factory

    return add


def create(kind: str, name: str, settings: Any) -> Any:
    _load_builtin_backends()
    try:
        factory = _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY.get(kind, {}))) or "none"
        raise FieldsignalError(f"unknown {kind} backend {name!r} (known: {known})") from None
    return factory(settings)


def names(kind: str) -> list[str]:
    _load_builtin_backends()
    return sorted(_REGISTRY.get(kind, {}))


def _load_builtin_backends() -> None:
    # Importing these modules registers their backends; they import heavy libraries lazily.
    import fieldsignal.agent.llm.provider
    import fieldsignal.triage.encoder
    import fieldsignal.vectorstore.embedder
    import fieldsignal.vectorstore.index  # noqa: F401

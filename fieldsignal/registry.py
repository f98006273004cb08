"""Backends registered by name, so real ones, plugins and test fakes are chosen the same way.

A backend factory takes the Settings and returns an object that satisfies the
protocol of its kind (see vectorstore.embedder.Embedder, vectorstore.index.VectorIndex).
The modules that register backends are found through the `fieldsignal.backends` entry points of
the installed packages; this package declares its own built-ins there too (pyproject.toml), exactly
as a third-party plugin would, so this module imports none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fieldsignal.errors import FieldsignalError

Factory = Callable[[Any], Any]
GROUP = "fieldsignal.backends"
_REGISTRY: dict[str, dict[str, Factory]] = {}


def register(kind: str, name: str) -> Callable[[Factory], Factory]:
    """Decorator: make `factory(settings)` available as backend `name` of `kind`."""

    def add(factory: Factory) -> Factory:
        _REGISTRY.setdefault(kind, {})[name] = factory
        return factory

    return add


def create(kind: str, name: str, settings: Any) -> Any:
    _load_backends()
    try:
        factory = _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY.get(kind, {}))) or "none"
        raise FieldsignalError(f"unknown {kind} backend {name!r} (known: {known})") from None
    return factory(settings)


def has(kind: str, name: str) -> bool:
    """Whether a backend `name` of `kind` is registered (an optional companion, e.g. an index's storage)."""
    _load_backends()
    return name in _REGISTRY.get(kind, {})


def names(kind: str) -> list[str]:
    _load_backends()
    return sorted(_REGISTRY.get(kind, {}))


@functools.cache  # once per process
def _load_backends() -> None:
    """Import every module an installed package declares under the `fieldsignal.backends` entry points
    (importing one registers its backends; they import heavy libraries lazily)."""
    from importlib.metadata import entry_points

    found = list(entry_points(group=GROUP))
    if not found:
        raise FieldsignalError(f"no backends are declared ({GROUP} entry points): pip install fieldsignal")
    for point in found:
        try:
            point.load()
        except Exception as exc:
            raise FieldsignalError(f"the backend plugin {point.name!r} ({point.value}) failed to load: {exc}") from exc

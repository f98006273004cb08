"""The learned triage as a workspace, or a Spark executor of a backfill, reads notes with: the registered
token encoder (tuned on the corpus when the settings say so), the cached corpus model and the reviewed
corrections. One assembly, so a backfill's executors triage exactly as `fieldsignal import` does.

Learning the corrections refits the type and gap heads on the corpus plus the corrections (seconds of
scikit-learn). The refitted heads are cached under the user's cache folder, keyed by the corpus model
and the corrections, so only the first process after a review pays for the refit; every later command
loads them (numpy stand-ins: scikit-learn is not imported)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from fieldsignal import registry
from fieldsignal.cache import cache_dir
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy

KEEP_CORRECTED = 8  # refitted heads kept (one per set of corrections); least recently used go first


def assemble_triage(
    settings: Settings,
    taxonomy: Taxonomy,
    corrections: Sequence[Any],
    progress: Callable[[str, int, int], None] | None = None,
) -> Any:
    """The corpus-trained triage (built once and cached) with `corrections` (shipped.Example rows) learnt."""
    from fieldsignal.triage import shipped
    from fieldsignal.triage.pipeline import LearnedTriage

    encoder = registry.create("token_encoder", settings.embedder, settings)
    tuned_on = getattr(encoder, "tuned_on", None)
    if tuned_on is not None:  # tuned on the notes the heads learn from: the corpus and this taxonomy's examples
        corpus = shipped.corpus_examples(settings.corpus or shipped.default_corpus())
        # with no corpus (a few-shot workspace) the encoder is not tuned: on BANKING77, 8 shots a label
        # tuned it to 0.796 against 0.825 untuned, and a contrastive objective gained only 0.002
        encoder = tuned_on([*corpus, *shipped.taxonomy_examples(taxonomy)] if corpus else [])
    model, bundle = shipped.load_or_build(taxonomy, encoder, settings.corpus, progress)
    if corrections:
        key = shipped.model_key(settings.corpus or shipped.default_corpus(), taxonomy, encoder.name)
        model = with_corrections_cached(bundle, list(corrections), encoder, key)
    return LearnedTriage(taxonomy, encoder, model, settings.review_threshold, library=shipped.library(bundle))


def corrections_key(model_key: str, corrections: Sequence[Any]) -> str:
    """The corpus model's key and the corrections as the refit reads them (in order: it is a fit's row order)."""
    digest = hashlib.sha256(model_key.encode())
    for e in corrections:
        row = [e.text, e.labels, e.group, e.weight]
        digest.update(json.dumps(row, sort_keys=True, default=str).encode() + b"\n")
    return digest.hexdigest()[:24]


def with_corrections_cached(bundle: dict[str, Any], corrections: list[Any], encoder: Any, model_key: str) -> Any:
    """`shipped.with_corrections`, its refitted heads frozen and cached (see the module's docstring)."""
    import copy

    from fieldsignal.triage import shipped
    from fieldsignal.triage.frozen import freeze

    folder = cache_dir() / "corrected"
    path = folder / f"{corrections_key(model_key, corrections)}.pkl"
    model = copy.copy(bundle["model"])  # the cached corpus model stays as it is
    try:
        with path.open("rb") as handle:
            parts: dict[str, Any] = pickle.load(handle)  # our own cache file, written below
        os.utime(path)  # recently used: kept when old ones are pruned
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        refitted = shipped.with_corrections(bundle, corrections, encoder)
        freeze(refitted)  # as the corpus model's heads are: reading a note never imports scikit-learn
        base = vars(bundle["model"])
        parts = {name: value for name, value in vars(refitted).items() if base.get(name) is not value}
        _save(path, parts)
    for name, value in parts.items():
        setattr(model, name, value)
    return model


def _save(path: Path, parts: dict[str, Any]) -> None:
    """Written beside its place and renamed into it (a reader never sees half a file); best effort."""
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        with temporary.open("wb") as handle:
            pickle.dump(parts, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
        kept = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP_CORRECTED:]:
            old.unlink(missing_ok=True)

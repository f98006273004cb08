"""The learned triage as a workspace, or a Spark executor of a backfill, reads notes with: the registered
token encoder (tuned on the corpus when the settings say so), the cached corpus model and the reviewed
corrections. One assembly, so a backfill's executors triage exactly as `fieldsignal import` does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fieldsignal import registry
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy


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
    model = shipped.with_corrections(bundle, list(corrections), encoder)
    return LearnedTriage(taxonomy, encoder, model, settings.review_threshold, library=shipped.library(bundle))

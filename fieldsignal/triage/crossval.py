"""Cross-writer evaluation: train without one writer, predict that writer's notes; every writer in turn.

The encoder is frozen, so each note is encoded once and every fold only refits the heads.
Taxonomy examples join every fold's training data (they are not any writer's notes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.model import Example, Prediction, TriageModel

Progress = Callable[[str], None]


def leave_one_group_out(
    examples: Sequence[Example],
    tokens: Sequence[TokenVectors],
    extra: Sequence[Example] = (),
    extra_tokens: Sequence[TokenVectors] = (),
    seed: int = 13,
    progress: Progress | None = None,
    taxonomy: Taxonomy | None = None,
    models: dict[str, TriageModel] | None = None,
) -> list[Prediction]:
    """A prediction for every example, made by a model that never saw its group (kept in `models` if given)."""
    groups = sorted({e.group for e in examples})
    predictions: list[Any] = [None] * len(examples)
    for group in groups:
        if progress:
            progress(group)
        train = [i for i, e in enumerate(examples) if e.group != group]
        model = TriageModel(seed=seed, taxonomy=taxonomy).fit(
            [*(examples[i] for i in train), *extra], [*(tokens[i] for i in train), *extra_tokens]
        )
        if models is not None:
            models[group] = model
        for i, e in enumerate(examples):
            if e.group == group:
                predictions[i] = model.predict(e.text, tokens[i])
    return predictions

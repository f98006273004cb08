"""Cross-writer evaluation: train without one writer, predict that writer's notes; every writer in turn.

With a frozen encoder each note is encoded once and every fold only refits the heads. With a tuned
encoder (`retune`), the writers are dealt into a few blocks; an encoder is tuned without each block
and reads every note, then each writer of the block is scored by heads fitted without that writer.
So neither the vectors nor the heads ever saw the held-out writer's notes; the encoder saw fewer
writers than a shipped one does, so the figure errs on the low side.
Taxonomy examples join every fold's training data (they are not any writer's notes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.gate_training import fit_with_gate
from fieldsignal.triage.model import Example, Prediction, TriageModel

Progress = Callable[[str], None]
Retune = Callable[[Sequence[Example]], Sequence[TokenVectors]]
OnGroup = Callable[[str, list[int], list[Prediction], TriageModel], None]
ENCODER_FOLDS = 4  # tuned encoders per cross-writer evaluation (each tuned without a quarter of the writers)


def leave_one_group_out(
    examples: Sequence[Example],
    tokens: Sequence[TokenVectors],
    extra: Sequence[Example] = (),
    extra_tokens: Sequence[TokenVectors] = (),
    seed: int = 13,
    progress: Progress | None = None,
    taxonomy: Taxonomy | None = None,
    models: dict[str, TriageModel] | None = None,
    retune: Retune | None = None,
    encoder_folds: int = ENCODER_FOLDS,
    on_group: OnGroup | None = None,
    head_folds: int | None = None,
) -> list[Prediction]:
    """A prediction for every example, made by a model that never saw its group (kept in `models` if given).

    `retune(training examples)` gives the token vectors of `examples` then `extra` read by an encoder
    tuned on those training examples; without it, `tokens` and `extra_tokens` serve every fold. Tuning
    costs minutes, so the groups are dealt into `encoder_folds` blocks: one encoder is tuned without
    a whole block, and each group of the block is then scored by heads fitted without that group.
    `on_group(group, its rows, their predictions, the model)` hears of each group as soon as it is done.
    With `head_folds`, the heads too are fitted without a whole block of groups instead of each group
    alone (`head_folds` blocks; with `retune`, the encoder's blocks): fewer fits, each on less data."""
    groups = sorted({e.group for e in examples})
    count = min(encoder_folds, len(groups)) if retune is not None else min(head_folds or 1, len(groups))
    blocks = [groups[k::count] for k in range(count)]
    predictions: list[Any] = [None] * len(examples)
    for block in blocks:
        if retune is not None:
            if progress:
                progress(f"tuning an encoder without {', '.join(block)}")
            everything = retune([*(e for e in examples if e.group not in block), *extra])
            tokens, extra_tokens = everything[: len(examples)], everything[len(examples) :]
        for unit in [block] if head_folds else [[group] for group in block]:
            if progress:
                progress(", ".join(unit))
            train = [i for i, e in enumerate(examples) if e.group not in unit]
            model = fit_with_gate(
                [*(examples[i] for i in train), *extra], [*(tokens[i] for i in train), *extra_tokens], taxonomy, seed
            )
            for group in unit:
                if models is not None:
                    models[group] = model
                held = [i for i, e in enumerate(examples) if e.group == group]
                found = model.predict_many([examples[i].text for i in held], [tokens[i] for i in held])
                for i, prediction in zip(held, found, strict=True):
                    predictions[i] = prediction
                if on_group is not None:
                    on_group(group, held, found, model)
    return predictions

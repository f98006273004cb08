"""SetFit-style contrastive fine-tuning of the local sentence model on labelled texts.

SetFit's first stage, on the CPU and with no hub access: the body of the local model is
tuned so that texts with the same label move together and texts with different labels
move apart; a linear head is then fitted on the tuned embeddings (agent.head). Instead of
SetFit's explicit sentence pairs we use the supervised contrastive loss over batches that
hold several texts of each label: every pair in a batch is a positive or a negative, so
one forward pass scores hundreds of pairs.

torch is imported inside the functions: only the commands that train pay for it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FineTuneParams:
    epochs: int = 4  # passes over the labelled texts
    labels_per_batch: int = 16
    per_label: int = 2  # texts of each label in a batch (>= 2 so every text has a positive)
    learning_rate: float = 2e-5
    temperature: float = 0.07
    seed: int = 13


def batches(labels: Sequence[str], params: FineTuneParams) -> list[list[int]]:
    """Index batches of `labels_per_batch` labels × `per_label` texts, covering every text each epoch."""
    rng = random.Random(params.seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    usable = [label for label, items in by_label.items() if len(items) >= 2]
    if len(usable) < 2:
        return []
    out: list[list[int]] = []
    for _ in range(params.epochs):
        queues = {label: rng.sample(by_label[label], len(by_label[label])) for label in usable}
        while queues:
            chosen = rng.sample(sorted(queues), min(params.labels_per_batch, len(queues)))
            if len(chosen) == 1:  # the last label of the epoch still needs negatives
                chosen.append(rng.choice([label for label in usable if label != chosen[0]]))
            batch: list[int] = []
            for label in chosen:
                queue = queues.get(label, [])
                take = [queue.pop() for _ in range(min(params.per_label, len(queue)))]
                if len(take) < params.per_label:  # top up from the label's other texts
                    others = [i for i in by_label[label] if i not in take]
                    take += rng.sample(others, min(params.per_label - len(take), len(others)))
                batch += take
                if label in queues and not queue:
                    del queues[label]
            out.append(batch)
    return out


def supervised_contrastive_loss(embeddings: Any, label_ids: Any, temperature: float) -> Any:
    """Khosla et al. (2020): pull each text towards the others of its label, away from the rest."""
    import torch

    z = torch.nn.functional.normalize(embeddings, dim=1)
    logits = z @ z.T / temperature
    n = len(z)
    eye = torch.eye(n, dtype=torch.bool)
    logits = logits.masked_fill(eye, -1e9)
    positives = (label_ids[:, None] == label_ids[None, :]) & ~eye
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    has_positive = positives.any(dim=1)
    mean_log_prob = (log_prob * positives).sum(dim=1) / positives.sum(dim=1).clamp(min=1)
    return -(mean_log_prob[has_positive]).mean()


def fine_tune(model: Any, texts: Sequence[str], labels: Sequence[str], params: FineTuneParams | None = None) -> int:
    """Tune a SentenceTransformer in place on (text, label) rows; returns the number of steps taken."""
    import torch

    params = params or FineTuneParams()
    plan = batches(labels, params)
    if not plan:
        return 0
    torch.manual_seed(params.seed)
    label_index = {label: i for i, label in enumerate(sorted(set(labels)))}
    optimiser = torch.optim.AdamW(model.parameters(), lr=params.learning_rate)
    warmup = max(1, len(plan) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / len(plan))
    )
    model.train()
    try:
        for batch in plan:
            features = model.preprocess([texts[i] for i in batch])
            embeddings = model(features)["sentence_embedding"]
            ids = torch.tensor([label_index[labels[i]] for i in batch])
            loss = supervised_contrastive_loss(embeddings, ids, params.temperature)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    finally:
        model.eval()
    return len(plan)


def labelled_texts(gap_texts: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Flatten {label: texts} into parallel lists, dropping repeated (text, label) rows."""
    seen: set[tuple[str, str]] = set()
    texts, labels = [], []
    for label, items in gap_texts.items():
        for text in items:
            if text and (text, label) not in seen:
                seen.add((text, label))
                texts.append(text)
                labels.append(label)
    return texts, labels

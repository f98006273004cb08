"""Fine-tuning the local encoder on the corpus, so the heads read vectors shaped for field notes.

The bundled MiniLM is tuned with three objectives at once: the note's signal type, its gap, and each
word piece's BIO tag for customer and competitor (the span tagger's labels). The small task layers
are thrown away afterwards: the triage keeps its scikit-learn heads, fitted on the tuned encoder's
vectors. Notes are batched by length (little padding), the order is seeded, and the lowest layers
can stay frozen to halve the cost. On 2 CPU cores one epoch over the corpus takes minutes; the tuned
weights are cached next to the triage model (see `tuned_encoder.py`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fieldsignal.triage.bio import TAGS, name_places, tags
from fieldsignal.triage.model import Example, gap_class

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TuneConfig:
    epochs: float = 1.0
    batch: int = 16
    max_len: int = 256
    lr: float = 5e-5
    frozen_layers: int = 0  # embeddings and this many lowest transformer layers are not trained
    seed: int = 13

    def describe(self) -> str:
        return f"e{self.epochs}-b{self.batch}-l{self.max_len}-lr{self.lr}-f{self.frozen_layers}-s{self.seed}"


@dataclass
class _Row:
    ids: list[int]
    tags: np.ndarray
    kind: int
    gap: int


class _Offsets:
    def __init__(self, offsets: list[tuple[int, int]]) -> None:
        self.offsets = offsets


def training_rows(tokenizer: Any, examples: Sequence[Example], max_len: int) -> tuple[list[_Row], int, int]:
    """Token ids, BIO tags and class ids (-100: not labelled) of every example labelled with a type or a gap."""
    usable = [e for e in examples if e.labels.get("signal_type") or "gap" in e.labels]
    types = sorted({str(e.labels["signal_type"]) for e in usable if e.labels.get("signal_type")})
    gaps = sorted({str(gap_class(e.labels["gap"])) for e in usable if "gap" in e.labels})
    rows = []
    for e in usable:
        enc = tokenizer(e.text, truncation=True, max_length=max_len, return_offsets_mapping=True)
        offsets = [(int(s), int(t)) for s, t in enc["offset_mapping"]]
        real = [i for i, (s, t) in enumerate(offsets) if t > s]
        token_tags = np.full(len(offsets), -100)
        if "customer_mention" in e.labels or "competitor" in e.labels:
            token_tags[real] = tags(_Offsets([offsets[i] for i in real]), name_places(e))  # type: ignore[arg-type]
        kind = types.index(str(e.labels["signal_type"])) if e.labels.get("signal_type") else -100
        gap = gaps.index(str(gap_class(e.labels.get("gap")))) if "gap" in e.labels else -100
        rows.append(_Row(list(enc["input_ids"]), token_tags, kind, gap))
    return rows, len(types), len(gaps)


def batches(rows: Sequence[_Row], size: int, rng: random.Random) -> list[list[_Row]]:
    """Rows grouped with others of about their length (little padding), batches in a seeded order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i].ids), rng.random()))
    out = [[rows[i] for i in order[start : start + size]] for start in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def fine_tune(st: Any, examples: Sequence[Example], config: TuneConfig, progress: Progress | None = None) -> None:
    """Tune `st` (a sentence-transformers model) in place on the labelled examples (none: left as it is)."""
    import torch

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    net, tokenizer = st[0].auto_model, st.tokenizer
    rows, n_types, n_gaps = training_rows(tokenizer, examples, config.max_len)
    if not rows:
        return
    hidden = net.config.hidden_size
    sizes = (max(n_types, 1), max(n_gaps, 1), len(TAGS))
    heads = torch.nn.ModuleList([torch.nn.Linear(hidden, size) for size in sizes])
    frozen = [net.embeddings, *net.encoder.layer[: config.frozen_layers]]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = False
    params = [p for p in net.parameters() if p.requires_grad] + list(heads.parameters())
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.01)
    steps = max(1, int(config.epochs * len(rows) / config.batch))
    schedule = torch.optim.lr_scheduler.LinearLR(optimiser, 1.0, 0.0, total_iters=steps)
    ce = torch.nn.functional.cross_entropy
    net.train()
    step = 0
    while step < steps:
        for chunk in batches(rows, config.batch, rng):
            if step >= steps:
                break
            width = max(len(r.ids) for r in chunk)
            ids = torch.tensor([r.ids + [0] * (width - len(r.ids)) for r in chunk])
            mask = (ids != 0).long()
            token_tags = torch.tensor(np.stack([np.pad(r.tags, (0, width - len(r.tags)), constant_values=-100)
                                                for r in chunk]))  # fmt: skip
            out = net(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (out * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            targets = [
                (heads[0](pooled), torch.tensor([r.kind for r in chunk])),
                (heads[1](pooled), torch.tensor([r.gap for r in chunk])),
                (heads[2](out).reshape(-1, len(TAGS)), token_tags.reshape(-1)),
            ]
            # an objective no row of the batch is labelled for is left out (its mean would be NaN)
            loss = sum(ce(logits, wanted, ignore_index=-100) for logits, wanted in targets if (wanted != -100).any())
            assert isinstance(loss, torch.Tensor)  # every row is labelled with a type or a gap
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if progress:
                progress("tuning the encoder on the training notes", step, steps)
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = True
    net.eval()

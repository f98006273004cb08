"""New-gap discovery: group the signals that proposed a new gap into candidate gaps.

Greedy clustering on excerpt vectors: each proposal joins the closest cluster whose
centroid is at least `threshold` similar, else starts its own. A cluster's id is
`N<smallest signal id>`, stable as long as its first signal stays in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fieldsignal.models import Signal


@dataclass
class Proposal:
    id: str
    label: str
    signals: list[Signal] = field(default_factory=list)

    @property
    def customers(self) -> list[str]:
        return sorted({s.customer for s in self.signals if s.customer})

    @property
    def acv_usd(self) -> int:
        per_note = {s.note_id: s.acv_usd or 0 for s in self.signals if s.duplicate_of is None}
        return sum(per_note.values())


def cluster(signals: Sequence[Signal], vectors: np.ndarray, threshold: float = 0.6) -> list[Proposal]:
    order = sorted(range(len(signals)), key=lambda i: signals[i].id)
    members: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for i in order:
        v = vectors[i]
        sims = [float(np.dot(c, v) / (np.linalg.norm(c) or 1.0)) for c in centroids]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= threshold:
            members[best].append(i)
            centroids[best] = centroids[best] + v
        else:
            members.append([i])
            centroids.append(v.copy())
    proposals = []
    for group in members:
        items = [signals[i] for i in group]
        labels = Counter(s.new_gap_label for s in items if s.new_gap_label)
        label = labels.most_common(1)[0][0] if labels else "unlabelled"
        proposals.append(Proposal(id=f"N{items[0].id}", label=label, signals=items))
    proposals.sort(key=lambda p: (-len(p.signals), p.id))
    return proposals

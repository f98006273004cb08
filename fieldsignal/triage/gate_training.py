"""Fitting the review gate (gate.py): the triage's out-of-fold mistakes on the corpus, note by note.

The corpus writers are split into FOLDS blocks; models fitted without a block triage its notes, as a
workspace would: read alone, then with the customer linked to the block's writers' accounts (each
writer's own list, as one CRM per world, with the industries it gives). Each note is labelled right or
not in every field it is labelled with, and the two gates are fitted on that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from fieldsignal.models import NoteInput, TriageResult
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.compare import norm_label, norm_name
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.gate import ReviewGate, features, fit_gate
from fieldsignal.triage.model import REVIEWED, Example, TriageModel, gap_class
from fieldsignal.triage.pipeline import LearnedTriage

FOLDS = 3
MIN_NOTES = 300  # fewer corpus notes than this (or fewer than 3 writers): no gate, the threshold alone decides
NOT_WRITERS = {"taxonomy", "corpus", REVIEWED}  # groups that are not one writer's notes
# the fields a person would otherwise fix; a note read alone is not judged on its customer
LINKED_FIELDS = ("signal_type", "gap", "customer", "industry", "competitor", "acv_usd")
READ_FIELDS = ("signal_type", "gap", "industry", "competitor", "acv_usd")


def fit_with_gate(
    examples: Sequence[Example], tokens: Sequence[TokenVectors], taxonomy: Taxonomy | None, seed: int = 13
) -> TriageModel:
    """Every head fitted on `examples`, and the review gate learnt for them (none with too few writers)."""
    model = TriageModel(seed=seed, taxonomy=taxonomy).fit(examples, tokens)
    model.gate = fit_review_gate(examples, tokens, taxonomy, seed)
    return model


def fit_review_gate(
    examples: Sequence[Example], tokens: Sequence[TokenVectors], taxonomy: Taxonomy | None, seed: int = 13
) -> ReviewGate | None:
    """The gate for a model fitted on `examples`, from models fitted without each block of writers."""
    from sklearn.model_selection import GroupKFold

    notes = [i for i, e in enumerate(examples) if e.group not in NOT_WRITERS and "signal_type" in e.labels]
    writers = np.asarray([examples[i].group for i in notes], dtype=object)
    if taxonomy is None or len(notes) < MIN_NOTES or len(set(writers.tolist())) < 3:
        return None
    types = taxonomy.type_names
    read: list[np.ndarray] = []
    linked: list[np.ndarray] = []
    right_read, right_linked, queued_read, queued_linked, groups = [], [], [], [], []
    for _, held in GroupKFold(n_splits=FOLDS).split(notes, groups=writers):
        out = {notes[k] for k in held}
        rest = [i for i in range(len(examples)) if i not in out]
        model = TriageModel(seed=seed, taxonomy=taxonomy).fit([examples[i] for i in rest], [tokens[i] for i in rest])
        triage = LearnedTriage(taxonomy, None, model)  # type: ignore[arg-type]  # reads predictions: no encoder
        for writer, idx in _by_writer([notes[k] for k in held], examples).items():
            labels = [examples[i].labels for i in idx]
            found = model.predict_many([examples[i].text for i in idx], [tokens[i] for i in idx])
            results = [triage.result(NoteInput(text=examples[i].text), p) for i, p in zip(idx, found, strict=True)]
            crm = {c: lab.get("industry") for lab in labels if (c := lab.get("customer"))}
            links = triage.links(results, sorted(crm))
            joined = triage.linked(results, links, sorted(crm), crm)
            for result, link, done, lab in zip(results, links, joined, labels, strict=True):
                read.append(features(result, None, types))
                right_read.append(right_in_every_field(result, lab, READ_FIELDS))
                queued_read.append(result.signals[0].needs_review)
                linked.append(features(done, link, types))
                right_linked.append(right_in_every_field(done, lab, LINKED_FIELDS))
                queued_linked.append(done.signals[0].needs_review)
                groups.append(writer)
    group = np.asarray(groups, dtype=object)
    return ReviewGate(
        read=fit_gate(np.stack(read), np.asarray(right_read), np.asarray(queued_read), group, types, seed),
        linked=fit_gate(np.stack(linked), np.asarray(right_linked), np.asarray(queued_linked), group, types, seed),
    )


def _by_writer(idx: Sequence[int], examples: Sequence[Example]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i in idx:
        out[examples[i].group].append(i)
    return out


def right_in_every_field(result: TriageResult, labels: dict[str, Any], fields: Sequence[str]) -> bool:
    """Whether a note's first signal is right in every one of `fields` it is labelled with. A note with
    several gaps is right on its gap when any of its signals names one of them."""
    first = result.signals[0]
    for name in fields:
        if name not in labels:
            continue
        gold = labels[name]
        if name == "signal_type":
            ok = norm_label(first.signal_type.label) == norm_label(gold)
        elif name == "gap":
            gaps = {g for g in (gap_class(v) for v in [gold, *(labels.get("gaps") or [])]) if g}
            ok = first.gap.label == gap_class(gold) or (
                len(gaps) > 1 and any(s.gap.label in gaps for s in result.signals)
            )
        elif name == "industry":
            ok = norm_label(first.deal.industry) == norm_label(gold)
        elif name in ("customer", "competitor"):
            ok = norm_name(getattr(first.deal, name)) == norm_name(gold)
        else:
            ok = first.deal.acv_usd == gold
        if not ok:
            return False
    return True

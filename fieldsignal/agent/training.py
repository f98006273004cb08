"""`fieldsignal train`: tune the local model on a workspace's labelled gap texts and save it.

Taxonomy descriptions and examples plus reviewed corrections; the model is saved in the
workspace and used by every later triage's gap classifier. Corrections made after training
still count at once (as prototypes and in the linear head); training again folds them in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

from fieldsignal.agent.finetune import FineTuneParams, fine_tune, labelled_texts
from fieldsignal.agent.triage import gap_training_texts
from fieldsignal.errors import FieldsignalError
from fieldsignal.models import LabelledExample, TrainReport
from fieldsignal.taxonomy import Taxonomy


def tune_classifier(
    path: Path, taxonomy: Taxonomy, labelled: Sequence[LabelledExample], params: FineTuneParams | None = None
) -> TrainReport:
    from fieldsignal.vectorstore.embedder import fresh_base_model
    from fieldsignal.vectorstore.tuned import save_tuned

    texts, labels = labelled_texts(gap_training_texts(taxonomy, labelled))
    if len(set(labels)) < 2:
        raise FieldsignalError("nothing to learn: fewer than two labels with examples")
    params = params or FineTuneParams()
    version = hashlib.sha256(json.dumps([texts, labels, repr(params)]).encode()).hexdigest()[:12]
    started = time.perf_counter()
    model = fresh_base_model()
    steps = fine_tune(model, texts, labels, params)
    manifest = {"version": version, "texts": len(texts), "labels": len(set(labels)), "steps": steps}
    save_tuned(model, path, manifest | {"trained_at": dt.datetime.now().isoformat(timespec="seconds")})
    return TrainReport(
        version=version,
        texts=len(texts),
        labels=len(set(labels)),
        reviewed_examples=len(labelled),
        steps=steps,
        seconds=round(time.perf_counter() - started, 1),
        path=str(path),
    )

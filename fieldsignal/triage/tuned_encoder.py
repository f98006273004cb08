"""The triage's encoder: the bundled MiniLM fine-tuned on the training notes, built once and cached.

The tuned weights (about 90 MB) are never committed: the first use, `fieldsignal train` or an
evaluation fold tunes them (`finetune.py`) and saves them under the user's cache folder, keyed by
the training notes, the tuning settings and the training code, so the same training set never tunes
twice. The registered `minilm` encoder is the recipe, tuned on no notes (the bundled model as it is):
whoever knows the training notes (the workspace, an evaluation fold) calls `tuned_on` with them.
Set `tune_encoder = false` (FIELDSIGNAL_TUNE_ENCODER=0) to read notes with the bundled model as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fieldsignal.triage.encoder import TokenEncoder
from fieldsignal.triage.finetune import TuneConfig, fine_tune
from fieldsignal.triage.model import Example

TUNE = TuneConfig(epochs=2.0, frozen_layers=0)
TUNING_LABELS = ("signal_type", "gap", "customer", "customer_mention", "competitor_mention")  # finetune.py, bio.py
KEEP_ENCODERS = 16  # tuned encoders kept (the shipped one plus one per evaluation fold); least recently used go
Progress = Callable[[str, int, int], None]


def training_key(examples: Sequence[Example], config: TuneConfig) -> str:
    """What decides the tuned weights: the labelled notes, the tuning settings, the base model and the code."""
    from fieldsignal.vectorstore.embedder import base_model_path

    digest = hashlib.sha256()
    for e in examples:  # what the tuning reads of each note: another label (an ACV, an industry) retunes nothing
        read = {k: e.labels[k] for k in TUNING_LABELS if k in e.labels}
        digest.update(json.dumps([e.text, read, sorted(e.labels)], sort_keys=True, default=str).encode())
    digest.update(config.describe().encode())
    digest.update(Path(base_model_path()).name.encode())
    for source in ("finetune.py", "bio.py"):  # the training code and the tag labels, not this plumbing
        digest.update((Path(__file__).parent / source).read_bytes())
    return digest.hexdigest()[:16]


class TunedTokenEncoder(TokenEncoder):
    """Word-piece vectors from MiniLM tuned on `examples` (tuned on first use, then read from the cache)."""

    def __init__(
        self, examples: Sequence[Example], config: TuneConfig = TUNE, batch_size: int = 16, quantize: bool = False
    ) -> None:
        self.examples = list(examples)
        self.config = config
        self.quantize = quantize
        self.key = training_key(self.examples, config)
        super().__init__(self._model, f"all-MiniLM-L6-v2-tuned-{self.key}{'-int8' if quantize else ''}", batch_size)
        self._loaded: Any = None

    @property
    def folder(self) -> Path:
        from fieldsignal.cache import cache_dir

        return cache_dir() / "encoder" / self.key

    def prepare(self, progress: Progress | None = None) -> None:
        """Tune now (with progress) unless the cache holds this encoder already (or there is nothing to tune on)."""
        if not self.examples or (self.folder / "config.json").exists():
            return
        from fieldsignal.cache import building, prune
        from fieldsignal.vectorstore.embedder import fresh_base_model

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with building(self.folder.parent, f"{self.key}.lock"):
            if (self.folder / "config.json").exists():
                return  # another process tuned it while this one waited
            model = fresh_base_model()
            fine_tune(model, self.examples, self.config, progress)
            partial = self.folder.parent / f"{self.key}.{os.getpid()}"
            model.save(str(partial))
            shutil.rmtree(self.folder, ignore_errors=True)
            partial.replace(self.folder)  # atomic: no reader sees half the weights
        prune(self.folder.parent, "config.json", KEEP_ENCODERS)

    def _model(self) -> Any:
        if self._loaded is None:
            from fieldsignal.vectorstore.embedder import bundled_model
            from fieldsignal.vectorstore.onnx_bert import OnnxBert, exported

            if not self.examples:
                self._loaded = bundled_model(self.quantize)
                return self._loaded
            self.prepare()
            os.utime(self.folder)  # recently used: kept when old encoders are pruned
            self._loaded = OnnxBert.load(exported(self.folder, self.quantize))
        return self._loaded

    def release(self) -> None:
        super().release()
        self._loaded = None

    def tuned_on(self, examples: Sequence[Example]) -> TunedTokenEncoder:
        """The same recipe on other training notes (an evaluation fold)."""
        return TunedTokenEncoder(examples, self.config, self.batch_size, self.quantize)


def tuned_minilm(settings: Any) -> TokenEncoder:
    """The registered `minilm` token encoder: the tuning recipe (see `tuned_on`), or the bundled model as
    it is when `tune_encoder` is off."""
    from fieldsignal.vectorstore.embedder import bundled_model

    if not settings.tune_encoder:
        name = "all-MiniLM-L6-v2-tokens" + ("-int8" if settings.quantize else "")
        return TokenEncoder(lambda: bundled_model(settings.quantize), name)
    return TunedTokenEncoder((), quantize=settings.quantize)

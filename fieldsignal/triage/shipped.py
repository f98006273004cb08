"""The learned triage model a workspace uses: built from the corpus on first use, then cached.

No model file is committed. The first use (or `fieldsignal train`) tunes the encoder on the corpus
(`tuned_encoder.py`), encodes the corpus and the taxonomy's examples and fits every head with a fixed seed;
the result is cached under the user's cache folder (`$FIELDSIGNAL_CACHE_DIR`, else
`$XDG_CACHE_HOME/fieldsignal`, else `~/.cache/fieldsignal`), keyed by the corpus, the taxonomy, the
encoder and this package's triage code, so a change to any of them builds a new one. Reviewed
corrections join the type and gap heads with a high weight, so a fix changes the next similar note
at once; refitting those heads reuses the cached note features.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.cache import building, cache_dir, code_digest, prune
from fieldsignal.errors import FieldsignalError
from fieldsignal.models import LabelledExample
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.evidence import Marked, read_marks
from fieldsignal.triage.frozen import freeze
from fieldsignal.triage.gate_training import fit_with_gate
from fieldsignal.triage.model import REVIEWED, Example, TriageModel, gap_class, gap_sets
from fieldsignal.triage.threads import one_thread

CORRECTION_WEIGHT = 5.0
# cached models kept (one per corpus, taxonomy, encoder and code; least recently used go first): the tuned and
# bundled-encoder models, the tests' hashing and small ones, and a build of the code being changed
KEEP_BUILDS = 6
LABELS = (
    "signal_type", "gap", "gaps", "industry", "archetype", "customer", "customer_mention", "competitor",
    "competitor_mention", "acv_usd",
)  # fmt: skip
Progress = Callable[[str, int, int], None]  # what is being done, done so far, total


def default_corpus() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "corpus" / "corpus.jsonl"


def corpus_examples(path: Path) -> list[Example]:
    if not path.exists():
        raise FieldsignalError(f"the training corpus {path} is missing: run `python data/corpus/build.py`")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if wrong := _wrong_label(row):
                raise FieldsignalError(
                    f"{path} line {number}: {wrong}; fix the row (python data/corpus/build.py checks)"
                )
            out.append(
                Example(row["text"], {k: row[k] for k in LABELS if k in row}, str(row.get("writer") or "corpus"))
            )
    return out


def _wrong_label(row: dict[str, Any]) -> str | None:
    """What is wrong with a corpus row's labels (a number where a name belongs, say), or None."""
    if not isinstance(row.get("text"), str):
        return "text must be text"
    for key in LABELS:
        value = row.get(key)
        if key == "gaps":
            ok, kind = value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)), "a list"
        elif key == "acv_usd":
            ok, kind = value is None or (isinstance(value, int) and not isinstance(value, bool)), "a whole number"
        else:
            ok, kind = value is None or isinstance(value, str), "text"
        if not ok:
            return f"{key} is {value!r}, not {kind} or null"
    return None


def taxonomy_examples(taxonomy: Taxonomy) -> list[Example]:
    out = [Example(text, {"signal_type": t.name}, "taxonomy") for t in taxonomy.signal_types for text in t.examples]
    for gap in taxonomy.gaps:
        out += [Example(text, {"gap": gap.slug}, "taxonomy") for text in [gap.description, *gap.examples] if text]
    return out


def correction_examples(labelled: Sequence[LabelledExample]) -> list[Example]:
    out = []
    for item in labelled:
        labels: dict[str, Any] = {}
        if item.signal_type:
            labels["signal_type"] = item.signal_type
        labels["gap"] = item.gap or (f"NEW: {item.new_gap_label}" if item.new_gap_label else None)
        out.append(Example(item.text, labels, REVIEWED, CORRECTION_WEIGHT))
    return out


def model_key(corpus: Path, taxonomy: Taxonomy, encoder_name: str) -> str:
    digest = hashlib.sha256()
    digest.update(corpus.read_bytes())
    pairs = corpus.parent / "dupes.jsonl"  # the second reports the recall bar is learnt from
    if pairs.exists():
        digest.update(pairs.read_bytes())
    for marks in evidence_files(corpus):  # the evidence sentences the excerpt selector is learnt from
        digest.update(marks.read_bytes())
    # the taxonomy as the triage reads it: gap aliases and ask synonyms are read by `ask` only, industry
    # aliases by the account import (editing them retrains nothing)
    ignored: dict[str, Any] = {
        "gaps": {"__all__": {"aliases"}}, "industries": {"__all__": {"aliases"}}, "ask_synonyms": True,
    }  # fmt: skip
    digest.update(taxonomy.model_dump_json(exclude=ignored).encode())
    digest.update(encoder_name.encode())
    digest.update(code_digest(sorted(Path(__file__).parent.glob("*.py"))).encode())  # the code, not its docs
    return digest.hexdigest()[:16]


def load_or_build(
    taxonomy: Taxonomy, encoder: Any, corpus: Path | None = None, progress: Progress | None = None, seed: int = 13
) -> tuple[TriageModel, dict[str, Any]]:
    """The cached model for this corpus, taxonomy, encoder and code (built now if there is none)."""
    corpus = corpus or default_corpus()  # os.devnull: the taxonomy's examples only (few-shot evaluation)
    if not corpus.exists():
        raise FieldsignalError(f"the training corpus {corpus} is missing: run `python data/corpus/build.py`")
    folder = cache_dir() / "triage" / model_key(corpus, taxonomy, encoder.name)
    path = folder / "model.pkl"
    prepare = getattr(encoder, "prepare", None)
    if prepare is not None:
        prepare(progress)  # a tuned encoder: tuned first (or found in the cache)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with building(folder):  # one process builds; another that needs the model waits, then loads it
            if not path.exists():
                _build(path, taxonomy, encoder, corpus, progress, seed)
                prune(folder.parent, "model.pkl", keep=KEEP_BUILDS)
    bundle = _loaded(path)
    with suppress(OSError):
        os.utime(path)  # recently used: kept when old builds are pruned
    return bundle["model"], bundle


_LOADED: OrderedDict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = OrderedDict()
_LOADED_LOCK = threading.Lock()
KEEP_LOADED = 2  # models a process keeps read (the server's, and one an evaluation or a test compares it with)


def _loaded(path: Path) -> dict[str, Any]:
    """The cached model file's bundle, read once a process while the file stays the same one (30 MB took 50 to
    90 ms to unpickle, and a process opened it for each workspace: after each review, in the server). Callers
    never change what it holds: corrections are learnt on a copy (`with_corrections`)."""
    stat = path.stat()
    same = (stat.st_dev, stat.st_ino, stat.st_size)  # not the time: every load touches it (os.utime above)
    with _LOADED_LOCK:
        kept = _LOADED.get(path)
        if kept is not None and kept[0] == same:
            _LOADED.move_to_end(path)
            return kept[1]
    with path.open("rb") as handle:
        bundle: dict[str, Any] = pickle.load(handle)  # our own cache file, written by _build
    with _LOADED_LOCK:
        _LOADED[path] = (same, bundle)
        _LOADED.move_to_end(path)
        while len(_LOADED) > KEEP_LOADED:
            _LOADED.popitem(last=False)
    return bundle


def _build(path: Path, taxonomy: Taxonomy, encoder: Any, corpus: Path, progress: Progress | None, seed: int) -> None:
    folder = path.parent
    examples = [*corpus_examples(corpus), *taxonomy_examples(taxonomy)]
    tokens = []
    for start in range(0, len(examples), 32):
        tokens += encoder.encode([e.text for e in examples[start : start + 32]])
        if progress:
            progress("reading the training notes", min(start + 32, len(examples)), len(examples) + 1)
    if progress:
        progress("fitting the classifiers", len(examples), len(examples) + 1)
    model = fit_with_gate(examples, tokens, taxonomy, seed)  # the heads, and the review gate learnt for them
    model.learn_recall(*story_pairs(corpus, model, examples, tokens))
    model.fit_evidence(evidence_notes(corpus, examples, tokens))
    freeze(model)  # numpy stand-ins for the fitted scikit-learn models: reading a note never imports it
    features, model.raw_features = model.raw_features, None
    bundle = {
        "model": model,
        "features": features,  # note features of the training rows, for refits with corrections
        "type_labels": [e.labels.get("signal_type", "\0") for e in examples],
        "gap_labels": [e.labels.get("gap", "\0") for e in examples],
        "gap_sets": [None if (found := gap_sets(e)) is None else sorted(found) for e in examples],
        "groups": [e.group for e in examples],
        "texts": [e.text for e in examples],  # worked examples for the LLM (nearest notes, with their gaps)
    }
    temporary = folder / f"model.pkl.{os.getpid()}"
    with temporary.open("wb") as handle:
        pickle.dump(bundle, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)  # atomic: another process never reads half a file
    if progress:
        progress("model built", len(examples) + 1, len(examples) + 1)


def evidence_files(corpus: Path) -> list[Path]:
    """The marked evidence sentences of the corpus's notes (`data/evidence/corpus-*.jsonl`; never the held-out
    writers' files beside them, which are for scoring)."""
    return sorted((corpus.parent.parent / "evidence").glob("corpus-*.jsonl"))


def evidence_notes(
    corpus: Path, examples: Sequence[Example], tokens: Sequence[Any]
) -> list[tuple[str, Any, list[Marked]]]:
    """The corpus notes with marked evidence, with their token vectors and marks (empty without the files)."""
    files = evidence_files(corpus)
    if not files:
        return []
    where = _rows_by_id(corpus)
    by_note: dict[int, list[Marked]] = {}
    for mark in read_marks(files, gap_class):
        if (n := where.get(mark.note)) is not None:
            by_note.setdefault(n, []).append(mark)
    return [(examples[n].text, tokens[n], marks) for n, marks in sorted(by_note.items())]


def _rows_by_id(corpus: Path) -> dict[Any, int]:
    """Each corpus note's id → its place among the corpus's examples (`corpus_examples` order)."""
    ids = [json.loads(line).get("id") for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {i: n for n, i in enumerate(ids) if i}


def story_pairs(
    corpus: Path, model: TriageModel, examples: Sequence[Example], tokens: Sequence[Any]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]:
    """Pairs of corpus notes from `dupes.jsonl` beside the corpus, as `likeness` vectors: second reports
    of one story, and different stories (same customer or same gap). Empty without that file."""
    pairs_file = corpus.parent / "dupes.jsonl"
    if not pairs_file.exists():
        return [], []
    where = _rows_by_id(corpus)
    same: list[tuple[np.ndarray, np.ndarray]] = []
    other: list[tuple[np.ndarray, np.ndarray]] = []
    for line in pairs_file.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line) if line.strip() else {}
        a, b = where.get(pair.get("id_a")), where.get(pair.get("id_b"))
        if a is None or b is None:
            continue
        vectors = (model.likeness(examples[a].text, tokens[a]), model.likeness(examples[b].text, tokens[b]))
        (same if pair.get("is_duplicate") else other).append(vectors)
    return same, other


@one_thread
def with_corrections(bundle: dict[str, Any], corrections: Sequence[Example], encoder: Any) -> TriageModel:
    """The cached model with its type and gap heads refitted on the corpus plus the corrections."""
    if not corrections:
        return bundle["model"]
    import copy

    from fieldsignal.triage.heads import Head, note_features
    from fieldsignal.triage.model import gap_class

    model: TriageModel = copy.copy(bundle["model"])  # the cached heads stay as they are

    tokens = encoder.encode([e.text for e in corrections])
    extra = np.stack([note_features(e.text, t) for e, t in zip(corrections, tokens, strict=True)])
    raw = np.vstack([bundle["features"], extra])
    feats = model.scaler.transform(raw)
    groups = np.asarray([*bundle["groups"], *(e.group for e in corrections)], dtype=object)
    weights = np.asarray([1.0] * len(bundle["groups"]) + [e.weight for e in corrections])
    for name, key, stored in (("types", "signal_type", "type_labels"), ("gaps", "gap", "gap_labels")):
        labels = [*bundle[stored], *(e.labels.get(key, "\0") for e in corrections)]
        idx = np.asarray([i for i, label in enumerate(labels) if label != "\0"])
        values = [gap_class(labels[i]) if key == "gap" else labels[i] for i in idx]
        head = Head(c=getattr(model, name).c).fit(feats[idx], values, weights[idx], groups[idx])
        setattr(model, name, head)
    model.more = _more_with(model, bundle, corrections, feats, weights)
    model.remember(corrections, tokens)
    return model


def _more_with(
    model: TriageModel, bundle: dict[str, Any], corrections: Sequence[Example], feats: np.ndarray, weights: np.ndarray
) -> Any:
    """The further-gaps head with the corrections learnt: only the gaps they name, or that the head now finds in
    the corrected notes, are refitted (a model a gap; refitting all of them would cost every command seconds)."""
    import copy

    stored = bundle.get("gap_sets")
    if stored is None or not model.more.models:
        return model.more
    mine = [gap_sets(e) or set() for e in corrections]
    found = model.more.proba(feats[len(stored) :])
    touched = {g for gaps in mine for g in gaps} | {g for g, p in found.items() if bool((p >= 0.5).any())}
    sets = [*stored, *(sorted(gaps) for gaps in mine)]
    idx = np.asarray([i for i, gaps in enumerate(sets) if gaps is not None], dtype=np.int64)
    more = copy.copy(model.more)
    more.models = dict(model.more.models)  # the cached models of the other gaps stay as they are
    return more.fit(feats[idx], [sets[i] for i in idx], weights[idx], only=touched)


def library(bundle: dict[str, Any]) -> tuple[np.ndarray, list[str | None], list[str]] | None:
    """The training notes that carry a gap label: pooled vectors, gaps and texts (see LearnedTriage.nearest)."""
    texts = bundle.get("texts")
    if not texts:
        return None
    keep = [i for i, gap in enumerate(bundle["gap_labels"]) if gap != "\0"]
    features = bundle["features"]
    pooled = features[keep, : features.shape[1] // 2]  # note features are [mean of pieces, max over segments]
    gaps = [bundle["gap_labels"][i] or None for i in keep]
    return pooled, gaps, [texts[i] for i in keep]

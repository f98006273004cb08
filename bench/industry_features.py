"""What the industry head should read, measured on writers a tuned encoder never saw.

    python bench/industry_features.py     # the first block of the cross-writer evaluation (10 of 40 writers)

The encoder is tuned without the block's writers exactly as `fieldsignal eval --group-by writer` tunes
its first fold (the same training notes, so the same cache entry: tuned once, then read from the
cache); each writer of the block is scored by an industry head fitted without that writer. Variants:
the tuned note features and the customer's name (`base`), plus the untuned word-piece means
(`wordpieces`, what shipped until 2026-12-07), plus a hashed word bag (`words`), both; and the untuned
word-piece mean of the customer's name alone beside them (`wordpieces+namepieces`, what ships: "Mutual",
"Therapeutics" mean something even in a name no training note used). The customer's name is the labelled
mention here (the triage uses the tagger's), the same for every variant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fieldsignal import registry  # noqa: E402
from fieldsignal.eval.crossval import ENCODER_FOLDS  # noqa: E402
from fieldsignal.eval.grouped import examples_of  # noqa: E402
from fieldsignal.eval.runner import load_rows  # noqa: E402
from fieldsignal.settings import load_settings  # noqa: E402
from fieldsignal.taxonomy import load_taxonomy  # noqa: E402
from fieldsignal.triage.heads import Head, note_features  # noqa: E402
from fieldsignal.triage.model import C  # noqa: E402
from fieldsignal.triage.shipped import taxonomy_examples  # noqa: E402
from fieldsignal.triage.wordpieces import WordPieceMeans  # noqa: E402


def main() -> None:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import StandardScaler

    rows, present = load_rows(ROOT / "data" / "corpus" / "corpus.jsonl")
    taxonomy = load_taxonomy()
    examples = examples_of(rows, present, "writer")
    writers = sorted({e.group for e in examples})
    block = writers[0::ENCODER_FOLDS]  # the first fold of the cross-writer evaluation
    encoder = registry.create("token_encoder", "minilm", load_settings(env={}))
    fold = encoder.tuned_on([*(e for e in examples if e.group not in block), *taxonomy_examples(taxonomy)])  # type: ignore[attr-defined]
    fold.prepare(lambda what, done, total: print(f"{what}: {done}/{total}", flush=True) if done % 40 == 0 else None)
    keep = [i for i, e in enumerate(examples) if e.labels.get("industry")]
    texts = [examples[i].text for i in keep]
    tokens = []
    for start in range(0, len(texts), 32):
        tokens += fold.encode(texts[start : start + 32])
    tuned = np.stack([note_features(t, k) for t, k in zip(texts, tokens, strict=True)])
    pieces = WordPieceMeans().features(texts)
    names = HashingVectorizer(n_features=2**12, analyzer="char_wb", ngram_range=(2, 4), alternate_sign=False)
    words = HashingVectorizer(n_features=2**16, analyzer="word", ngram_range=(1, 2), alternate_sign=False)
    mentions = [examples[i].labels.get("customer_mention") or "" for i in keep]
    name_pieces = WordPieceMeans().features(mentions)
    named = names.transform([m.lower() for m in mentions])
    bag = words.transform([t.lower() for t in texts]) * 3.0
    labels = np.asarray([examples[i].labels["industry"] for i in keep], dtype=object)
    groups = np.asarray([examples[i].group for i in keep], dtype=object)
    for variant in ("base", "wordpieces", "words", "wordpieces+words", "wordpieces+namepieces"):
        dense = np.hstack([tuned, pieces]) if "wordpieces" in variant else tuned
        if "namepieces" in variant:
            dense = np.hstack([dense, name_pieces])
        scored = {}
        for writer in block:
            train = groups != writer
            x = hstack([csr_matrix(StandardScaler().fit(dense[train]).transform(dense)), named])
            if "words" in variant.split("+"):
                x = hstack([x, bag])
            x = x.tocsr()
            head = Head(c=C).fit(x[train], list(labels[train]), np.ones(int(train.sum())), groups[train])
            found = [head.label(int(k)) for k in head.proba(x[~train]).argmax(axis=1)]
            scored[writer] = float(np.mean([f == g for f, g in zip(found, labels[~train], strict=True)]))
        shown = ", ".join(f"{w} {a:.3f}" for w, a in scored.items())
        print(f"{variant:18} industry: {shown}; mean {np.mean(list(scored.values())):.3f}", flush=True)


if __name__ == "__main__":
    main()

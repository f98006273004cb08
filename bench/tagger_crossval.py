"""How well the span tagger finds the customer, and the chain links it, writer folds, bundled encoder.

    python bench/tagger_crossval.py [data/corpus/corpus.jsonl] [--folds 4]

The notes are read once by the bundled MiniLM (not tuned: a tuned encoder saw every writer); the
writers are dealt into folds; for each fold the tagger and the account linker are fitted on the other
writers' notes and score this fold's: the customer as written (`customer_mention`, exact after
normalising) and linked to the fold writer's accounts (`customer_linked`, the CRM name): the picked
name alone, and as the triage links it (the picked name, then the note's other names for its customer,
down to word pieces `--candidate-p` likely to be in its name). With `--all-accounts` the list is every
account of the corpus (~2,700), and `absent` is how often a note whose account is missing from the list
is linked to another. This is the tagger and linker alone: `fieldsignal eval --group-by writer` scores
the whole triage.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import time
from pathlib import Path

from fieldsignal.triage.accounts import AccountLinker, training_pairs
from fieldsignal.triage.bio import name_places, tags
from fieldsignal.triage.compare import norm_name
from fieldsignal.triage.model import CANDIDATE_P, SPAN_THRESHOLD, Example, other_customer_names
from fieldsignal.triage.spans import SpanTagger, pick

ROOT = Path(__file__).resolve().parents[1]


def token_vectors(texts: list[str], cache: Path | None) -> list:
    if cache is not None and cache.exists():
        return pickle.loads(cache.read_bytes())
    from fieldsignal.triage.encoder import TokenEncoder
    from fieldsignal.vectorstore.embedder import bundled_model

    encoder = TokenEncoder(lambda: bundled_model(False), "all-MiniLM-L6-v2-tokens")
    out = encoder.encode(texts)
    if cache is not None:
        cache.write_bytes(pickle.dumps(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", type=Path, default=ROOT / "data" / "corpus" / "corpus.jsonl")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--cache", type=Path, default=None, help="keep the token vectors in this file")
    parser.add_argument("--candidate-p", type=float, default=CANDIDATE_P)
    parser.add_argument("--all-accounts", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    tokens = token_vectors([r["text"] for r in rows], args.cache)
    print(f"read {len(rows)} notes in {time.perf_counter() - started:.0f} s")
    examples = [
        Example(r["text"], {k: r.get(k) for k in ("customer", "customer_mention", "competitor_mention")}, r["writer"])
        for r in rows
    ]
    writers = sorted({r["writer"] for r in rows})
    scores: dict[str, list[float]] = {"mention": [], "picked, linked": [], "linked": [], "absent": []}
    everyone = sorted({c for r in rows if (c := r.get("customer"))})
    for block in (writers[k :: args.folds] for k in range(args.folds)):
        train = [i for i, r in enumerate(rows) if r["writer"] not in block and "customer_mention" in r]
        started = time.perf_counter()
        tagger = SpanTagger().fit(
            [tokens[i] for i in train], [tags(tokens[i], name_places(examples[i])) for i in train]
        )
        linker = AccountLinker().fit(
            training_pairs(
                [(rows[i].get("customer_mention"), rows[i].get("customer"), rows[i]["writer"]) for i in train]
            )
        )
        fitted = time.perf_counter() - started
        for writer in block:
            held = [i for i, r in enumerate(rows) if r["writer"] == writer and "customer_mention" in r]
            gold = [norm_name(rows[i].get("customer")) for i in held]
            read = [tagger.read(rows[i]["text"], tokens[i], args.candidate_p) for i in held]
            named = [pick(tagged, "customer", SPAN_THRESHOLD) for tagged, _ in read]
            names = [
                [n for n in (name, *other_customer_names(name, [*tagged, *weak])) if n]
                for name, (tagged, weak) in zip(named, read, strict=True)
            ]
            accounts = everyone if args.all_accounts else sorted({c for i in held if (c := rows[i].get("customer"))})
            found = linker.link_first(names, accounts)
            figures = {
                "mention": statistics.mean(
                    norm_name(n) == norm_name(rows[i]["customer_mention"]) for n, i in zip(named, held, strict=True)
                ),
                "picked, linked": statistics.mean(
                    norm_name(a) == g for a, g in zip(linker.link_many(named, accounts), gold, strict=True)
                ),
                "linked": statistics.mean(norm_name(a or n) == g for a, n, g in zip(found, named, gold, strict=True)),
            }
            missing = [k for k, i in enumerate(held) if rows[i].get("customer")]
            without = [[a for a in accounts if a != rows[held[k]]["customer"]] for k in missing]
            figures["absent"] = statistics.mean(
                linker.link_first([names[k]], rest)[0] is not None for k, rest in zip(missing, without, strict=True)
            )
            for key, value in figures.items():
                scores[key].append(value)
            shown = ", ".join(f"{key} {value:.3f}" for key, value in figures.items())
            print(f"{writer}: {len(held)} notes: {shown} (fit {fitted:.0f} s)", flush=True)
    worst = {key: (max if key == "absent" else min) for key in scores}
    print("; ".join(f"{key} mean {statistics.mean(v):.3f} worst {worst[key](v):.3f}" for key, v in scores.items()))


if __name__ == "__main__":
    main()

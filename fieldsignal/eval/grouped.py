"""`fieldsignal eval --group-by writer`: the cross-writer figure.

Each group (writer) is scored by a learned triage trained on every other group plus the taxonomy's
own examples, never on the group itself. The report gives every field per group, and for the
headline the mean and the worst group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fieldsignal import registry
from fieldsignal.errors import InputError
from fieldsignal.eval.crossval import ENCODER_FOLDS, leave_one_group_out
from fieldsignal.models import NoteInput
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.encoder import TokenVectors
from fieldsignal.triage.model import Example
from fieldsignal.triage.pipeline import LearnedTriage
from fieldsignal.triage.shipped import LABELS, taxonomy_examples

HEADLINE = (
    "signal_type", "gap", "category", "customer", "customer_mention", "customer_linked", "competitor", "acv_usd",
    "industry", "industry_linked",
)  # fmt: skip


SHOWN = (
    ("signal_type.macro_f1", "type F1"),
    ("loss_recall", "Loss recall"),
    ("gap.accuracy", "gap"),
    ("customer_linked.accuracy", "customer (linked)"),
    ("competitor.accuracy", "competitor"),
    ("acv_usd.accuracy", "ACV"),
    ("industry.accuracy", "industry"),
    ("industry_linked.accuracy", "(linked)"),
    ("share_to_review", "to review"),
    ("share_to_review_with_accounts", "(linked)"),
    ("auto_accepted_all_fields_with_accounts", "every field right (linked)"),
)  # fmt: skip  (a group's figures in its progress line)


def examples_of(rows: list[Any], present: list[set[str]], group_by: str) -> list[Example]:
    out = []
    for row, keys in zip(rows, present, strict=True):
        group = getattr(row, group_by, None)
        if not group:
            raise InputError(f"--group-by {group_by}: row {row.id or row.text[:30]!r} has no {group_by}")
        out.append(Example(row.text, {k: getattr(row, k) for k in LABELS if k in keys}, str(group)))
    return out


def run_grouped(
    rows: list[Any],
    present: list[set[str]],
    settings: Settings,
    taxonomy: Taxonomy,
    group_by: str,
    seed: int = 13,
    progress: Callable[[str], None] | None = None,
    encoder_folds: int | None = None,
    head_folds: int | None = None,
) -> dict[str, Any]:
    from fieldsignal.eval.figures import account_figures, customer_figures, score

    examples = examples_of(rows, present, group_by)
    extra = taxonomy_examples(taxonomy)
    encoder = registry.create("token_encoder", settings.embedder, settings)
    texts = [e.text for e in [*examples, *extra]]
    tuned_on = getattr(encoder, "tuned_on", None)
    retune = None
    if tuned_on is not None:  # a tuned encoder: each fold tunes its own, without the held-out group

        def retune(train: Sequence[Example]) -> list[TokenVectors]:
            fold = tuned_on(train)
            fold.prepare(_tuning(progress))
            return _encode(fold, texts, progress)

        tokens: list[TokenVectors] = []
    else:
        tokens = _encode(encoder, texts, progress)
    groups: dict[str, Any] = {}
    triaged: dict[int, Any] = {}  # each row's result, read by its group's model (and its review gate)

    def scored(group: str, idx: list[int], found: list[Any], model: Any) -> None:
        """The group's figures as soon as it is scored (a long evaluation shows them as it goes)."""
        part, keys = [rows[i] for i in idx], [present[i] for i in idx]
        fold = LearnedTriage(taxonomy, encoder, model, settings.review_threshold)
        read = [fold.result(NoteInput(text=r.text, author=r.author), p) for r, p in zip(part, found, strict=True)]
        results = fold.gated(read)
        triaged.update(zip(idx, results, strict=True))
        groups[group] = (
            score(part, keys, results, taxonomy)
            | customer_figures(part, keys, results, fold.link_accounts)
            | account_figures(part, keys, results, fold.link_accounts, taxonomy)
        )
        report = groups[group]
        if progress:
            figures = _figures(report)
            shown = [f"{short} {figures[key]:.3f}" for key, short in SHOWN if key in figures]
            progress(f"{group} scored: {', '.join(shown)}")

    leave_one_group_out(
        examples, tokens[: len(examples)], extra, tokens[len(examples) :], seed, progress, taxonomy, None, retune,
        encoder_folds or ENCODER_FOLDS, scored, head_folds,
    )  # fmt: skip
    results = [triaged[i] for i in range(len(rows))]
    groups = dict(sorted(groups.items()))
    overall = score(rows, present, results, taxonomy)
    alone = {"held_out": "each group alone"}
    held_out = {"held_out": "blocks of groups", "head_folds": head_folds} if head_folds else alone
    return overall | {"group_by": group_by, "groups": groups, "cross_group": summary(groups)} | held_out


def _encode(encoder: Any, texts: list[str], progress: Callable[[str], None] | None) -> list[TokenVectors]:
    unique = list(dict.fromkeys(texts))
    done: dict[str, TokenVectors] = {}
    for start in range(0, len(unique), 32):
        chunk = unique[start : start + 32]
        done.update(zip(chunk, encoder.encode(chunk), strict=True))
        if progress:
            progress(f"encoded {min(start + 32, len(unique))}/{len(unique)}")
    return [done[t] for t in texts]


def _tuning(progress: Callable[[str], None] | None) -> Callable[[str, int, int], None] | None:
    if progress is None:
        return None
    say = progress

    def step(what: str, done: int, total: int) -> None:
        if done % 20 == 0 or done == total:
            say(f"{what}: step {done}/{total}")

    return step


def _figures(report: dict[str, Any]) -> dict[str, float]:
    """One group's headline figures."""
    out: dict[str, float] = {}
    for field in HEADLINE:
        if field in report and report[field]["accuracy"] is not None:
            out[f"{field}.accuracy"] = report[field]["accuracy"]
    if "signal_type" in report:
        out["signal_type.macro_f1"] = report["signal_type"]["macro_f1"]
        loss = report["signal_type"]["per_class"].get("loss")
        if loss:
            out["loss_recall"] = loss["recall"]
    for source, suffix in (("review", ""), ("review_with_accounts", "_with_accounts")):
        review = report.get(source, {})
        for key in ("share_to_review", "auto_accepted_all_fields"):
            if review.get(key) is not None:
                out[key + suffix] = review[key]
    ece = report.get("calibration", {}).get("signal_type", {}).get("ece")
    if ece is not None:
        out["signal_type.ece"] = ece
    return out


def summary(groups: dict[str, Any]) -> dict[str, Any]:
    """Mean and worst group (and which one it is) for the headline figures."""
    figures: dict[str, dict[str, float]] = {}
    for name, report in groups.items():
        for figure, value in _figures(report).items():
            figures.setdefault(figure, {})[name] = value
    worst_is_max = {"share_to_review", "share_to_review_with_accounts", "signal_type.ece"}
    out = {}
    for figure, by_group in figures.items():
        pick = max if figure in worst_is_max else min
        worst = pick(by_group, key=lambda g: by_group[g])
        values = list(by_group.values())
        out[figure] = {
            "mean": round(sum(values) / len(values), 4),
            "worst": round(by_group[worst], 4),
            "worst_group": worst,
        }
    return out

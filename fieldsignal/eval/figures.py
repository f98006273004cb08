"""The figures of `fieldsignal eval`: each field scored against the labels, the customer and industry
linked to the account lists a CRM would give, the review queue's share and trust, calibration.

Pure functions of labelled rows and triage results (no workspace): the single run (runner.py) and the
cross-writer folds (grouped.py) score with the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fieldsignal.eval.metrics import (
    calibration,
    classification_report,
    confusions,
    set_prf,
)
from fieldsignal.ingest.labelled import LabelledRow
from fieldsignal.models import NEW_GAP, TriageResult
from fieldsignal.taxonomy import Taxonomy
from fieldsignal.triage.compare import norm_label, norm_name

OUT_OF_SCOPE = {"oos", "out_of_scope", "out-of-scope"}
FIELDS = ("signal_type", "category", "gap", "customer", "industry", "archetype", "competitor", "lost_deal", "acv_usd")
# "right in every field" for an auto-accepted signal: the fields a person would otherwise fix
ALL_FIELDS = ("signal_type", "gap", "customer", "industry", "competitor", "acv_usd")


class EvalRow(LabelledRow):
    """A labelled row (the `import --labeled` shape) plus the few-shot and corpus keys."""

    split: str | None = None
    label: str | None = None
    writer: str | None = None  # who wrote the note: the group of `--group-by writer`
    duplicate_of: str | None = None  # the id of the note this one reports again (`eval --dupes` replays the log)
    customer_mention: str | None = None  # the names as written in the text (span-tagger training)
    competitor_mention: str | None = None


def _gap_key(value: str | None, taxonomy: Taxonomy) -> str | None:
    if value is None or value == "":
        return None
    if value.upper().startswith("NEW:") or value.lower() in OUT_OF_SCOPE or value == NEW_GAP:
        return NEW_GAP
    gap = taxonomy.resolve_gap(value)
    return gap.slug if gap else f"unknown:{value}"


LinkAccounts = Callable[[list[TriageResult], list[str], dict[str, str | None]], list[TriageResult]]


def worlds(rows: list[EvalRow]) -> list[list[int]]:
    """The rows of each world whose customers are one CRM's accounts: each writer's file when every row
    names its writer (independent writers invent their own accounts, at times under one another's
    names, so one list of them all holds accounts no single CRM would), else all the rows."""
    if not rows or not all(r.writer for r in rows):
        return [list(range(len(rows)))]
    by: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by[str(row.writer)].append(i)
    return [by[w] for w in sorted(by)]


def _linked(
    rows: list[EvalRow], results: list[TriageResult], groups: list[list[int]], link: LinkAccounts
) -> tuple[dict[int, TriageResult], int]:
    """Each group's results linked to an account list of the group's labelled customers (as a CRM export
    would give it, their names and industries); and how many accounts were listed in all."""
    out: dict[int, TriageResult] = {}
    listed = 0
    for group in groups:
        crm = {c: rows[i].industry for i in group if (c := rows[i].customer)}
        listed += len(crm)
        if group:
            out.update(zip(group, link([results[i] for i in group], sorted(crm), crm), strict=True))
    return out, listed


def customer_figures(
    rows: list[EvalRow], present: list[set[str]], results: list[TriageResult], link: LinkAccounts
) -> dict[str, Any]:
    """The customer as the tagger found it, against the mention as written (`customer_mention`), and
    linked to an account list made of the scored rows' customers (`customer_linked`, `link` is the
    triage's `link_accounts`), against the canonical name: each writer's own list (see `worlds`), and
    with several writers also one list of them all (`pooled`). Without an account list see `customer`."""
    out: dict[str, Any] = {}
    named = [r.signals[0].deal.customer if r.signals else None for r in results]
    keep = [i for i, keys in enumerate(present) if "customer_mention" in keys]
    if keep:
        gold = [norm_name(rows[i].customer_mention) for i in keep]
        report = classification_report(gold, [norm_name(named[i]) for i in keep])
        out["customer_mention"] = {"accuracy": report["accuracy"], "n": report["n"]}
    keep = [i for i, keys in enumerate(present) if "customer" in keys]
    if not keep or not any(rows[i].customer for i in keep):
        return out
    gold = [norm_name(rows[i].customer) for i in keep]

    def accuracy(found: dict[int, TriageResult]) -> float:
        linked = [norm_name(found[i].signals[0].deal.customer if found[i].signals else None) for i in keep]
        return float(classification_report(gold, linked)["accuracy"])

    split, kept = worlds(rows), set(keep)
    found, listed = _linked(rows, results, [[i for i in world if i in kept] for world in split], link)
    out["customer_linked"] = {"accuracy": accuracy(found), "n": len(keep), "accounts": listed}
    if len(split) > 1:
        pooled, listed = _linked(rows, results, [keep], link)
        out["customer_linked"] |= {"worlds": len(split), "pooled": accuracy(pooled), "pooled_accounts": listed}
    return out


def account_figures(
    rows: list[EvalRow], present: list[set[str]], results: list[TriageResult], link: LinkAccounts, taxonomy: Taxonomy
) -> dict[str, Any]:
    """The results as a workspace with the rows' accounts listed gives them (each customer's name and
    industry, as a CRM export carries them; each writer's own list, see `worlds`; `link` is the
    triage's `link_accounts`): the industry (`industry_linked`: the linked account's, else the one read
    from the note) and what is auto-accepted (`review_with_accounts`); with several writers, also with
    one list of them all (`pooled`)."""
    split = worlds(rows)
    found, listed = _linked(rows, results, split, link)
    linked = [found[i] for i in range(len(rows))]
    out: dict[str, Any] = {"review_with_accounts": review_stats(rows, linked, taxonomy, present)}
    several = len(split) > 1
    pooled: list[TriageResult] = []
    if several:
        one, _ = _linked(rows, results, [list(range(len(rows)))], link)
        pooled = [one[i] for i in range(len(rows))]
        everything = review_stats(rows, pooled, taxonomy, present)["auto_accepted_all_fields"]
        out["review_with_accounts"]["auto_accepted_all_fields_pooled"] = everything
    pairs = [i for i, keys in enumerate(present) if "industry" in keys]
    if pairs and listed:
        gold = [_gold("industry", rows[i], taxonomy) for i in pairs]

        def accuracy(found: list[TriageResult]) -> float:
            report = classification_report(gold, [_pred("industry", found[i], rows[i], taxonomy) for i in pairs])
            return float(report["accuracy"])

        out["industry_linked"] = {"accuracy": accuracy(linked), "n": len(pairs), "accounts": listed}
        if several:
            out["industry_linked"] |= {"pooled": accuracy(pooled)}
    return out


def score(rows: list[EvalRow], present: list[set[str]], results: list[TriageResult], taxonomy: Taxonomy) -> dict:
    """Every labelled field's report, gap sets, review and calibration, for triage results of these rows."""
    report: dict[str, Any] = {}
    for field in FIELDS:
        pairs = [(row, res) for row, res, keys in zip(rows, results, present, strict=True) if field in keys]
        if not pairs:
            continue
        gold = [_gold(field, row, taxonomy) for row, _ in pairs]
        pred = [_pred(field, res, row, taxonomy) for row, res in pairs]
        report[field] = classification_report(gold, pred) | {"confusions": confusions(gold, pred)}
    multi = [(row, res) for row, res in zip(rows, results, strict=True) if row.gaps is not None]
    if multi:
        gold_sets = [{k for g in row.gaps or [] if (k := _gap_key(g, taxonomy))} for row, _ in multi]
        pred_sets = [{s.gap.label for s in res.signals if s.gap.label} for _, res in multi]
        report["gap_set"] = set_prf(gold_sets, pred_sets)
    report["review"] = review_stats(rows, results, taxonomy, present)
    report["calibration"] = _calibration(rows, present, results, taxonomy)
    return report


def _calibration(
    rows: list[EvalRow], present: list[set[str]], results: list[TriageResult], taxonomy: Taxonomy
) -> dict[str, Any]:
    """Reliability of the gap and type confidences of each note's primary signal."""
    out: dict[str, Any] = {}
    for field, attr in (("gap", "gap"), ("signal_type", "signal_type")):
        scored = [
            (getattr(res.signals[0], attr).confidence, _gold(field, row, taxonomy) == _pred(field, res, row, taxonomy))
            for row, res, keys in zip(rows, results, present, strict=True)
            if field in keys
        ]
        if scored:
            out[field] = calibration([c for c, _ in scored], [ok for _, ok in scored])
    return out


def _gold(field: str, row: EvalRow, taxonomy: Taxonomy) -> Any:
    value = getattr(row, field)
    if field == "gap":
        return _gap_key(value, taxonomy)
    if field in ("signal_type", "category", "industry", "archetype"):
        return norm_label(value)
    if field in ("customer", "competitor"):
        return norm_name(value)
    return value


def _pred(field: str, res: TriageResult, row: EvalRow, taxonomy: Taxonomy) -> Any:
    primary = res.signals[0]
    if field == "gap":
        label = primary.gap.label
        gold = {_gap_key(g, taxonomy) for g in (row.gaps or [])}
        # a multi-gap note: any of its gaps as the primary signal is right
        if len(gold) > 1 and any(s.gap.label in gold for s in res.signals):
            return _gap_key(row.gap, taxonomy)
        return label
    if field == "signal_type":
        return norm_label(primary.signal_type.label)
    if field == "category":
        gold_gaps = {_gap_key(g, taxonomy) for g in (row.gaps or [])}
        if len(gold_gaps) > 1 and any(s.gap.label in gold_gaps for s in res.signals):
            return norm_label(row.category)  # as for the gap: any of a multi-gap note's gaps is right
        return norm_label(primary.category.label)
    value = getattr(primary.deal, field)
    if field in ("industry", "archetype"):
        return norm_label(value)
    if field in ("customer", "competitor"):
        return norm_name(value)
    return value


def review_stats(
    rows: list[EvalRow], results: list[TriageResult], taxonomy: Taxonomy, present: list[set[str]] | None = None
) -> dict[str, Any]:
    """Share sent to review; accuracy of what was auto-accepted: type and gap, and every labelled field."""
    keys = present or [set(FIELDS)] * len(rows)
    auto = [(row, res, k) for row, res, k in zip(rows, results, keys, strict=True) if not res.signals[0].needs_review]
    right = sum(
        _gold("gap", row, taxonomy) == _pred("gap", res, row, taxonomy)
        and norm_label(row.signal_type) == norm_label(res.signals[0].signal_type.label)
        for row, res, _ in auto
    )
    every = sum(
        all(_gold(f, row, taxonomy) == _pred(f, res, row, taxonomy) for f in ALL_FIELDS if f in k)
        for row, res, k in auto
    )
    return {
        "share_to_review": round(1 - len(auto) / len(rows), 4),
        "auto_accepted": len(auto),
        "auto_accepted_accuracy": round(right / len(auto), 4) if auto else None,
        "auto_accepted_all_fields": round(every / len(auto), 4) if auto else None,
    }

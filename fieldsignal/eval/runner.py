"""`fieldsignal eval`: score the triage on labelled rows, on a fresh temporary workspace.

Nothing learnt while scoring: the workspace is new and empty, customer memory is off,
and in few-shot mode only `split: train` rows (K per label, fixed seed) become the
taxonomy while `split: test` rows are scored.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fieldsignal.errors import InputError
from fieldsignal.eval.metrics import (
    calibration,
    classification_report,
    confusions,
    norm_label,
    norm_name,
    set_prf,
)
from fieldsignal.ingest.labelled import LabelledRow
from fieldsignal.models import NEW_GAP, NoteInput, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.taxonomy import Taxonomy, taxonomy_from_labels
from fieldsignal.workspace import Workspace

OUT_OF_SCOPE = {"oos", "out_of_scope", "out-of-scope"}
FIELDS = ("signal_type", "category", "gap", "customer", "industry", "archetype", "competitor", "lost_deal", "acv_usd")
# "right in every field" for an auto-accepted signal: the fields a person would otherwise fix
ALL_FIELDS = ("signal_type", "gap", "customer", "industry", "competitor", "acv_usd")


class EvalRow(LabelledRow):
    """A labelled row (the `import --labeled` shape) plus the few-shot and corpus keys."""

    split: str | None = None
    label: str | None = None
    writer: str | None = None  # who wrote the note: the group of `--group-by writer`
    customer_mention: str | None = None  # the names as written in the text (span-tagger training)
    competitor_mention: str | None = None


def load_rows(path: Path) -> tuple[list[EvalRow], list[set[str]]]:
    """Rows, and for each the set of fields it labels (a key present with null counts)."""
    rows, present = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            rows.append(EvalRow.model_validate(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(f"{path} line {number}: {exc}") from None
        present.append(set(raw))
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows, present


def run_eval(
    data: Path | None,
    settings: Settings,
    taxonomy: Taxonomy,
    few_shot: int | None = None,
    seed: int = 13,
    dupes: Path | None = None,
    questions: Path | None = None,
    group_by: str | None = None,
    progress: Callable[[str], None] | None = None,
    encoder_folds: int | None = None,
    head_folds: int | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    rows, present = load_rows(data) if data else ([], [])
    with tempfile.TemporaryDirectory(prefix="fieldsignal-eval-") as home:
        fresh = settings.model_copy(update={"home": Path(home), "vectorstore": "memory"})
        report: dict[str, Any] = {}
        if questions:
            if data is None:
                raise InputError("--questions needs --data: the rows are imported with their labels first")
            from fieldsignal.eval.questions import score_questions

            report["questions"] = score_questions(Workspace(fresh, taxonomy, learn=False), data, questions)
            rows = []  # the rows were the log the questions ask about, not triage cases
        if rows:
            if group_by:
                from fieldsignal.eval.grouped import run_grouped

                report = run_grouped(
                    rows, present, fresh, taxonomy, group_by, seed, progress, encoder_folds, head_folds
                )
            elif few_shot:
                report = _few_shot(rows, fresh, few_shot, seed)
            else:
                report = _full(rows, present, fresh, taxonomy)
        if dupes:
            from fieldsignal.eval.dupes import load_pairs, score_pairs

            ws = Workspace(fresh, taxonomy, learn=False)
            notes = [NoteInput(text=r.text, date=r.date, author=r.author) for r in rows]
            by_id = {r.id: n for r, n in zip(rows, notes, strict=True) if r.id}
            report["dupes"] = score_pairs(ws, load_pairs(dupes), by_id, notes or None)
    report["mode"] = "llm" if settings.llm_enabled else "offline"
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def _triage(ws: Workspace, rows: list[EvalRow]) -> list[TriageResult]:
    notes = [NoteInput(text=r.text, author=r.author) for r in rows]
    results: list[TriageResult] = []
    for start in range(0, len(notes), 64):
        results += ws.triage_notes(notes[start : start + 64])
    return results


def _gap_key(value: str | None, taxonomy: Taxonomy) -> str | None:
    if value is None or value == "":
        return None
    if value.upper().startswith("NEW:") or value.lower() in OUT_OF_SCOPE or value == NEW_GAP:
        return NEW_GAP
    gap = taxonomy.resolve_gap(value)
    return gap.slug if gap else f"unknown:{value}"


def _full(rows: list[EvalRow], present: list[set[str]], settings: Settings, taxonomy: Taxonomy) -> dict[str, Any]:
    return score_workspace(rows, present, Workspace(settings, taxonomy, learn=False), taxonomy)


def score_workspace(rows: list[EvalRow], present: list[set[str]], ws: Workspace, taxonomy: Taxonomy) -> dict[str, Any]:
    """Every figure of labelled rows triaged by this workspace's triage (a learn=False workspace)."""
    results = _triage(ws, rows)
    return (
        score(rows, present, results, taxonomy)
        | customer_figures(rows, present, results, ws.triage.link_accounts)
        | account_figures(rows, present, results, ws.triage.link_accounts, taxonomy)
    )


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


def _few_shot(rows: list[EvalRow], settings: Settings, k: int, seed: int) -> dict[str, Any]:
    """The triage's machinery trained on K examples per label only (no corpus), scored on the test rows.

    A label is predicted when its calibrated probability reaches a bar, else the row is out of scope.
    The bar is 0 when no row is out of scope; else the lowest that reaches out-of-scope recall 0.80 on
    the `val` rows when there are any (never the test rows), else the review threshold. `oos_curve`
    shows the test rows at every bar.
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.split == "train" and row.label and row.label.lower() not in OUT_OF_SCOPE:
            by_label[row.label].append(row.text)
    if not by_label:
        raise InputError("--few-shot needs rows with split 'train' and a label")
    rng = random.Random(seed)
    shots = {label: rng.sample(texts, min(k, len(texts))) for label, texts in sorted(by_label.items())}
    taxonomy = taxonomy_from_labels(shots)
    test = [r for r in rows if r.split == "test"]
    if not test:
        raise InputError("--few-shot needs rows with split 'test' to score")
    ws = Workspace(settings.model_copy(update={"corpus": Path(os.devnull)}), taxonomy, learn=False)
    names = {g.slug: g.name for g in taxonomy.gaps}

    def scored(part: list[EvalRow]) -> tuple[list[str | None], list[tuple[str | None, float]]]:
        gold = [None if (r.label or "").lower() in OUT_OF_SCOPE else r.label for r in part]
        found = [
            (names.get(res.signals[0].gap.label or ""), res.signals[0].gap.confidence) for res in _triage(ws, part)
        ]
        return gold, found

    def predicted(found: list[tuple[str | None, float]], bar: float) -> list[str | None]:
        return [label if confidence >= bar else None for label, confidence in found]

    bars = [round(0.02 * i, 2) for i in range(51)]
    bar, chosen_on = settings.review_threshold, "review threshold"
    if not any((r.label or "").lower() in OUT_OF_SCOPE for r in rows):
        bar, chosen_on = 0.0, "no out-of-scope rows: every row gets its most likely label"
    val = [r for r in rows if r.split == "val"]
    if val and any((r.label or "").lower() in OUT_OF_SCOPE for r in val):
        val_gold, val_found = scored(val)
        reaching = [b for b in bars if (_oos_point(val_gold, predicted(val_found, b))["oos_recall"] or 0) >= 0.8]
        bar, chosen_on = (reaching[0], "val rows: out-of-scope recall 0.80") if reaching else (bar, chosen_on)
    gold, found = scored(test)
    pred = predicted(found, bar)
    report = classification_report(gold, pred)
    report.update(_oos_point(gold, pred))
    report["threshold"], report["threshold_chosen_on"] = bar, chosen_on
    report["confusions"] = confusions(gold, pred)
    if any(g is None for g in gold):
        report["oos_curve"] = [{"threshold": b, **_oos_point(gold, predicted(found, b))} for b in bars[::5]]
    return {"label": report, "few_shot": k, "labels": len(shots)}


def _oos_point(gold: list[str | None], pred: list[str | None]) -> dict[str, float | None]:
    pairs = list(zip(gold, pred, strict=True))
    in_scope = [g == p for g, p in pairs if g is not None]
    oos = [p is None for g, p in pairs if g is None]
    return {
        "in_scope_accuracy": round(sum(in_scope) / len(in_scope), 4) if in_scope else None,
        "oos_recall": round(sum(oos) / len(oos), 4) if oos else None,
    }

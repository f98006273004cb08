"""Human output for the CLI: rich tables and lines for signals, tallies, answers and eval reports."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fieldsignal.models import ImportReport, Signal, Tally

console = Console()
err = Console(stderr=True)


def money(value: int | None) -> str:
    return f"${value:,}" if value else "-"


def signal_line(s: Signal) -> str:
    """One signal as a line of rich markup (text from notes escaped)."""
    gap = s.gap_name or (f"new gap: {s.new_gap_label}" if s.new_gap_label else "no gap")
    parts = [f"#{s.id}", s.signal_type, gap]
    if s.category:
        parts[-1] += f" ({s.category})"
    parts += [p for p in (s.customer, s.industry, s.competitor) if p]
    if s.acv_usd:
        parts.append(money(s.acv_usd))
    parts.append(f"conf {s.confidence:.2f}")
    line = escape(" · ".join(parts))
    if s.duplicate_of:
        line += f"  [dim]duplicate of #{s.duplicate_of}[/]"
    return line + ("  [yellow]→ review[/]" if s.needs_review else "")


NEW_GAP_CHARS = 24  # characters of a proposed gap's name in a narrow table (about two lines of its column)


def clipped(text: str, size: int) -> str:
    """`text` cut at a word boundary to at most `size` characters, with an ellipsis when it was cut."""
    if len(text) <= size:
        return text
    cut = text[: size - 1].rsplit(" ", 1)[0] if " " in text[: size - 1] else text[: size - 1]
    return cut.rstrip(" ,.;:-") + "…"


def signals_table(signals: list[Signal], title: str = "Signal log", width: int | None = None) -> Table:
    """The log as a table that fits the terminal: below 120 columns the category, lost flag and
    confidence give way (below 100 the date and status too), and the excerpt, cut to fit, shows what
    each signal says."""
    room = width or console.width
    wide = room >= 120
    table = Table(title=title, show_lines=False, header_style="bold", expand=not wide)
    columns: tuple[str, ...] = (
        "ID",
        "Date",
        "Type",
        "Category",
        "Gap",
        "Customer",
        "Lost?",
        "ACV",
        "Status",
        "Conf",
        "Excerpt",
    )
    if not wide:
        columns = ("ID", "Date", "Type", "Gap", "Customer", "ACV", "Status", "Excerpt")
    if room < 100:
        columns = ("ID", "Type", "Gap", "Customer", "ACV", "Excerpt")
    for col in columns:
        if col == "Excerpt":
            if wide:  # the other columns first (about 115 characters), the excerpt in what is left, 60 at most
                table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=max(12, min(60, room - 115)))
            else:  # narrow: the excerpt takes the room the kept columns leave
                table.add_column(col, no_wrap=True, overflow="ellipsis", ratio=1, min_width=12)
        else:
            table.add_column(col, no_wrap=col in ("ID", "Date", "ACV"), max_width=None if wide else 14)
    for s in signals:
        proposed = s.new_gap_label if wide or not s.new_gap_label else clipped(s.new_gap_label, NEW_GAP_CHARS)
        gap = s.gap_name or (f"[italic]new: {escape(proposed)}[/]" if proposed else "-")
        conf = f"{s.confidence:.2f}" + (" [yellow]R[/]" if s.needs_review else "")
        cells = {
            "ID": str(s.id),
            "Date": str(s.date or ""),
            "Type": s.signal_type,
            "Category": s.category or "-",
            "Gap": gap,
            "Customer": escape(s.customer or "-"),
            "Lost?": "yes" if s.lost_deal else "",
            "ACV": money(s.acv_usd),
            "Status": s.status,
            "Conf": conf,
            "Excerpt": escape(" ".join(s.excerpt.split())),
        }
        table.add_row(*(cells[c] for c in columns))
    return table


def tally_table(t: Tally) -> Table:
    period = f" {t.since or '…'} to {t.until or '…'}" if (t.since or t.until) else ""
    table = Table(title=f"Signals by {t.by}{period}", header_style="bold")
    for col in (t.by.capitalize(), "Signals", "Customers", "Lost deals", "ACV", "ACV lost"):
        table.add_column(col, justify="left" if col == t.by.capitalize() else "right")
    for r in t.rows:
        table.add_row(
            escape(r.key or "(none)"),
            str(r.signals),
            str(r.customers),
            str(r.lost_deals),
            money(r.acv_usd),
            money(r.acv_lost_usd),
        )
    table.caption = f"{t.total_signals} signals (duplicates counted once) · {t.review_queue} waiting for review"
    return table


def import_summary(r: ImportReport) -> str:
    text = f"{r.notes_added} notes added, {r.signals_added} signals, {r.queued_for_review} queued for review" + (
        f", {r.notes_skipped_duplicate} already known" if r.notes_skipped_duplicate else ""
    )
    if r.duplicates_linked:
        text += f", {r.duplicates_linked} repeat earlier signals"
    if r.duplicates_asked:
        text += f", {r.duplicates_asked} may repeat one (same signal? in `fieldsignal review`)"
    if r.failures:
        text += f", [red]{len(r.failures)} failed[/]"
    return text


def eval_tables(report: dict[str, Any]) -> list[Table]:
    tables = []
    summary = Table(title=f"Evaluation ({report.get('mode')}, {report.get('seconds')}s)", header_style="bold")
    for col in ("Field", "n", "Accuracy", "Macro-F1"):
        summary.add_column(col, justify="left" if col == "Field" else "right")
    for field, value in report.items():
        if isinstance(value, dict) and "accuracy" in value:
            summary.add_row(field, str(value["n"]), _pct(value["accuracy"]), _pct(value.get("macro_f1")))
            if "pooled" in value:  # linked per writer's accounts; also to one list of every writer's
                summary.add_row(
                    f"{field} (one list of all writers' accounts)", str(value["n"]), _pct(value["pooled"]), ""
                )
    for name in ("dupes", "gap_set"):
        extra = report.get(name)
        if isinstance(extra, dict) and "f1" in extra:
            summary.add_row(
                f"{name} (P/R/F1)",
                str(extra.get("n", "")),
                f"{_pct(extra['precision'])}/{_pct(extra['recall'])}",
                _pct(extra["f1"]),
            )
    dupes = report.get("dupes")
    if isinstance(dupes, dict) and "recall_at_1" in dupes:
        summary.add_row(
            "dupes retrieval (R@1/5/10)",
            "",
            f"{_pct(dupes['recall_at_1'])}/{_pct(dupes['recall_at_5'])}",
            _pct(dupes["recall_at_10"]),
        )
    excerpts = report.get("excerpts")
    if isinstance(excerpts, dict):
        summary.add_row(
            "excerpt quotes evidence (any/best)",
            str(excerpts["signals"]),
            f"{_pct(excerpts['evidence_hit'])}/{_pct(excerpts['best_sentence'])}",
            "",
        )
    questions = report.get("questions")
    if isinstance(questions, dict):
        summary.add_row("questions (exact)", str(questions["n"]), _pct(questions["accuracy"]), "")
    review = report.get("review")
    if isinstance(review, dict):
        summary.caption = (
            f"{review['share_to_review']:.0%} sent to review; auto-accepted "
            f"{review['auto_accepted']} with accuracy {_pct(review['auto_accepted_accuracy'])}, "
            f"every field right {_pct(review['auto_accepted_all_fields'])}"
        )
        linked = report.get("review_with_accounts")
        if isinstance(linked, dict):
            summary.caption += (
                f"; with the rows' accounts listed, {linked['share_to_review']:.0%} sent to review, "
                f"every field right {_pct(linked['auto_accepted_all_fields'])}"
            )
    tables.append(summary)
    headline = report.get("cross_group")
    if isinstance(headline, dict) and headline:
        by = report.get("group_by", "group")
        cross = Table(title=f"Cross-{by}: each {by} scored by a model trained without it", header_style="bold")
        for col in ("Figure", "Mean", "Worst", f"Worst {by}"):
            cross.add_column(col, justify="left" if col == "Figure" else "right")
        for figure, v in headline.items():
            cross.add_row(figure, _pct(v["mean"]), _pct(v["worst"]), str(v.get("worst_group", "")))
        tables.append(cross)
    curve = (report.get("label") or {}).get("oos_curve")
    if curve:
        oos = Table(title="out-of-scope trade-off (known-label threshold)", header_style="bold")
        for col in ("Threshold", "In-scope accuracy", "Out-of-scope recall"):
            oos.add_column(col, justify="right")
        for point in curve:
            oos.add_row(f"{point['threshold']:.2f}", _pct(point["in_scope_accuracy"]), _pct(point["oos_recall"]))
        tables.append(oos)
    failures = (report.get("questions") or {}).get("failures") or []
    if failures:
        missed = Table(title="questions answered wrong (first 15)", header_style="bold")
        for col in ("Question", "Expected", "Got"):
            missed.add_column(col)
        for f in failures[:15]:
            missed.add_row(escape(f["question"]), escape(str(f["expected"])[:80]), escape(str(f["got"])[:80]))
        tables.append(missed)
    for field, cal in (report.get("calibration") or {}).items():
        rel = Table(title=f"{field}: confidence vs accuracy (ECE {_pct(cal['ece'])})", header_style="bold")
        for col in ("Confidence", "n", "Mean confidence", "Accuracy"):
            rel.add_column(col, justify="right")
        for b in cal["bins"]:
            rel.add_row(b["range"], str(b["n"]), _pct(b["confidence"]), _pct(b["accuracy"]))
        tables.append(rel)
    for field in ("signal_type", "gap", "category", "label"):
        value = report.get(field)
        if not isinstance(value, dict) or not value.get("per_class"):
            continue
        per = Table(title=f"{field}: per class", header_style="bold")
        for col in ("Class", "Support", "Precision", "Recall", "F1"):
            per.add_column(col, justify="left" if col == "Class" else "right")
        items = sorted(value["per_class"].items(), key=lambda kv: kv[1]["f1"])[:40]
        for label, c in items:
            per.add_row(label, str(c["support"]), _pct(c["precision"]), _pct(c["recall"]), _pct(c["f1"]))
        if value.get("confusions"):
            per.caption = "most frequent confusions (gold → predicted): " + "; ".join(
                f"{g} → {p} ×{n}" for g, p, n in value["confusions"][:6]
            )
        tables.append(per)
    return tables


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def answer_view(a: Any) -> list[Any]:
    """The answer's sentence, its rows as a table, the SQL and the evidence."""
    from rich.markup import escape

    parts: list[Any] = [f"[bold]{escape(a.sentence)}[/]"]
    if a.rows and not (len(a.rows) == 1 and len(a.rows[0]) == 1):
        table = Table(header_style="bold")
        for col in a.columns:
            table.add_column(col)
        for row in a.rows[:50]:
            table.add_row(*[_cell(c, v) for c, v in zip(a.columns, row, strict=False)])
        parts.append(table)
    if a.sql:
        parts.append(f"[dim]SQL: {escape(' '.join(a.sql.split()))}[/]")
        parts.append(f"[dim]params: {escape(str(a.params))}[/]")
        ids = ", ".join(f"#{i}" for i in a.signal_ids[:60]) + (" …" if len(a.signal_ids) > 60 else "")
        parts.append(f"[dim]signals ({len(a.signal_ids)}): {ids or 'none'}[/]")
    for r in a.related:
        parts.append(
            f"  #{r['id']} {escape(str(r['customer'] or '?'))} · {escape(str(r['gap'] or '-'))}: {escape(r['excerpt'])}"
        )
    return parts


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column.startswith("acv") and isinstance(value, int | float):
        return f"${int(value):,}"
    return str(value)

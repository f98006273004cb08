"""The dashboard's charts: proportional bars, escaped labels, an empty state."""

from __future__ import annotations

import re

from fieldsignal.web.charts import hbar, stacked


def test_bars_are_proportional_and_labels_are_page_text() -> None:
    html = hbar([("No firewall", 300_000), ("<b>Vertical</b> only", 75_000)], money=True, title="ACV by gap")
    shares = [float(s) for s in re.findall(r"\* ([0-9.]+)\)", html)]
    assert shares == [1.0, 0.25]
    assert "$300,000" in html and "$75,000" in html
    assert "&lt;b&gt;Vertical&lt;/b&gt; only" in html and "<b>" not in html
    assert "<svg" not in html  # text in HTML keeps the page's font size on a phone


def test_weekly_chart_stacks_categories_and_draws_the_target() -> None:
    weeks = {"2026-W40": {"Security": 3, "Cost": 1}, "2026-W41": {"Security": 6}}
    html = stacked(weeks, target=10, title="per week")
    assert html.count("<rect") == 3 and 'class="target"' in html
    assert re.findall(r'class="value">(\d+)<', html) == ["4", "6"]
    assert re.findall(r'class="swatch" style="background:[^"]+"></span>(\w+)<', html) == ["Cost", "Security"]


def test_nothing_to_chart() -> None:
    assert "Nothing to chart" in hbar([]) and "Nothing to chart" in stacked({})

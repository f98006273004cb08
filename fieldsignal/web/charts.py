"""Small server-side SVG bar charts: no JavaScript, readable at phone width (they scale with the page)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, ROW, LABEL = 640, 26, 220


def hbar(rows: Sequence[tuple[str, float]], money: bool = False, title: str = "") -> str:
    """Horizontal bars, one per (label, value), largest first as given."""
    if not rows:
        return '<p class="empty">Nothing to chart yet.</p>'
    top = max(v for _, v in rows) or 1
    height = ROW * len(rows) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        width = max(2.0, (WIDTH - LABEL - 110) * value / top)
        text = f"${value:,.0f}" if money else f"{value:,.0f}"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 17}" text-anchor="end" class="label">{escape(label[:34])}</text>'
            f'<rect x="{LABEL}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" rx="3" class="bar"/>'
            f'<text x="{LABEL + width + 6:.1f}" y="{y + 17}" class="value">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def columns(rows: Sequence[tuple[str, float]], target: float | None = None, title: str = "") -> str:
    """Vertical bars over time (weeks, months), with an optional target line."""
    if not rows:
        return '<p class="empty">Nothing to chart yet.</p>'
    height, base, left = 220, 190, 36
    top = max([v for _, v in rows] + [target or 0]) or 1
    step = (WIDTH - left - 10) / len(rows)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, value) in enumerate(rows):
        h = (base - 20) * value / top
        x = left + i * step
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{base - h:.1f}" width="{max(step - 6, 2):.1f}" height="{h:.1f}" '
            'rx="2" class="bar"/>'
            f'<text x="{x + step / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" class="value">'
            f"{value:,.0f}</text>"
            f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle" class="label small">'
            f"{escape(label[-3:] if len(rows) > 8 else label)}</text>"
        )
    if target:
        y = base - (base - 20) * target / top
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" class="target"/>'
            f'<text x="{left}" y="{y - 4:.1f}" class="label small">target {target:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

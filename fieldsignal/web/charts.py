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


PALETTE = ("#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#e03131", "#868e96")


def stacked(weeks: dict[str, dict[str, int]], target: float | None = None, title: str = "") -> str:
    """Vertical bars per week, stacked by category, with a legend and an optional target line."""
    if not weeks:
        return '<p class="empty">Nothing to chart yet.</p>'
    categories = sorted({c for counts in weeks.values() for c in counts}, key=lambda c: (c == "no gap", c))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    base, left = 200, 36
    height = base + 30 + 16 * ((len(categories) + 3) // 4)  # room for the legend
    top = max([sum(c.values()) for c in weeks.values()] + [target or 0]) or 1
    step = (WIDTH - left - 10) / len(weeks)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">']
    for i, (week, counts) in enumerate(weeks.items()):
        x, y = left + i * step, float(base)
        for category in categories:
            h = (base - 20) * counts.get(category, 0) / top
            if h:
                y -= h
                parts.append(
                    f'<rect x="{x + 3:.1f}" y="{y:.1f}" width="{max(step - 6, 2):.1f}" height="{h:.1f}" '
                    f'fill="{colour[category]}"><title>{escape(week)} {escape(category)}: '
                    f"{counts[category]}</title></rect>"
                )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">'
            f"{sum(counts.values())}</text>"
            f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle" class="label small">'
            f"{escape(week[-3:])}</text>"
        )
    if target:
        y = base - (base - 20) * target / top
        parts.append(f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" class="target"/>')
    for i, category in enumerate(categories):
        lx, ly = left + (i % 4) * 150, base + 32 + (i // 4) * 16
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour[category]}"/>'
            f'<text x="{lx + 14}" y="{ly}" class="label small">{escape(category)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

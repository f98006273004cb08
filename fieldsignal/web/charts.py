"""Server-side charts without JavaScript.

Horizontal bars are HTML (a label, a bar sized in percent, the value), so their text stays
page-sized on a phone; the weekly chart is an SVG drawn on a narrow canvas with large text,
and its legend is HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#e03131", "#868e96")
EMPTY = '<p class="empty">Nothing to chart yet.</p>'


def hbar(
    rows: Sequence[tuple[str, float]], money: bool = False, title: str = "", links: Sequence[str | None] = ()
) -> str:
    """Horizontal bars, one per (label, value), in the order given; `links[i]`: where bar i's label leads."""
    if not rows:
        return EMPTY
    top = max(v for _, v in rows) or 1
    parts = [f'<div class="chart bars" role="img" aria-label="{escape(title)}">']
    for i, (label, value) in enumerate(rows):
        share = max(0.01, value / top)  # of the track, less room kept for the value
        text = f"${value:,.0f}" if money else f"{value:,.0f}"
        link = links[i] if i < len(links) else None
        name = f'<a href="{escape(link)}">{escape(label)}</a>' if link else escape(label)
        parts.append(
            f'<div class="bar-row"><span class="bar-label" title="{escape(label)}">{name}</span>'
            f'<span class="bar-track"><span class="bar" style="width:calc((100% - 6rem) * {share:.3f})"></span>'
            f'<span class="bar-value">{text}</span></span></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def _legend(colour: dict[str, str]) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{c}"></span>{escape(name)}</li>' for name, c in colour.items()
    )
    return f'<ul class="legend">{items}</ul>'


def stacked(weeks: dict[str, dict[str, int]], target: float | None = None, title: str = "") -> str:
    """Vertical bars per week, stacked by category, with an optional dashed target line."""
    if not weeks:
        return EMPTY
    categories = sorted({c for counts in weeks.values() for c in counts}, key=lambda c: (c == "no gap", c))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    width, base, left = 420, 170, 6
    top = max([sum(c.values()) for c in weeks.values()] + [target or 0]) or 1
    step = (width - left - 6) / len(weeks)
    parts = [f'<svg viewBox="0 0 {width} {base + 24}" role="img" aria-label="{escape(title)}">']
    for i, (week, counts) in enumerate(weeks.items()):
        x, y = left + i * step, float(base)
        for category in categories:
            h = (base - 22) * counts.get(category, 0) / top
            if h:
                y -= h
                parts.append(
                    f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(step - 4, 2):.1f}" height="{h:.1f}" '
                    f'fill="{colour[category]}"><title>{escape(week)} {escape(category)}: '
                    f"{counts[category]}</title></rect>"
                )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">'
            f"{sum(counts.values())}</text>"
            f'<text x="{x + step / 2:.1f}" y="{base + 17}" text-anchor="middle" class="label">'
            f"{escape(week[-3:])}</text>"
        )
    if target:
        y = base - (base - 22) * target / top
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" class="target"/>')
    parts.append("</svg>")
    return f'<figure class="chart weekly">{"".join(parts)}{_legend(colour)}</figure>'

"""Markdown drafts to HTML that is safe to show and to publish.

The draft body quotes field notes and anything an editor typed, so it is untrusted. Any HTML in
it is escaped before Markdown runs; the HTML that Markdown produces is then cleaned by an
allow-list sanitiser (nh3, the Ammonia library): only text-formatting and table tags, and links
only to http, https and mailto (no `javascript:`, `data:` or `vbscript:` URLs, whatever their case
or encoding), opened without a referrer or a handle on this page.
"""

from __future__ import annotations

import re
from html import escape

TAGS = {
    "a", "p", "br", "hr", "em", "strong", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


CITATION = re.compile(r"(?<![\w&#/;])#(\d{1,9})\b")  # "#12": a signal a memo cites


def markdown_to_safe_html(body: str, signal_links: str | None = None) -> str:
    """`signal_links`: a base URL ("" for this site) under which each cited "#12" links to /signals/12."""
    import markdown
    import nh3

    text = escape(body, quote=False)
    if signal_links is not None:
        text = CITATION.sub(lambda m: f"[#{m.group(1)}]({signal_links.rstrip('/')}/signals/{m.group(1)})", text)
    html = markdown.markdown(text, extensions=["tables"])
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")

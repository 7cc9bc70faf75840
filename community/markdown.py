"""Markdown to safe HTML, once, when a question or answer is saved.

markdown-it-py renders CommonMark with tables and strikethrough and raw HTML switched off; nh3
then keeps only the tags and attributes listed here, drops every URL that is not http(s) or
mailto (so no javascript: or data:), and gives every link rel="nofollow ugc noopener".
The result is stored in body_html and is the only user content pages mark safe.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        # Tables align columns with style="text-align:..."; nothing else is allowed through.
        return value if value in {"text-align:left", "text-align:center", "text-align:right"} else None
    if attribute == "class":
        return value if value.startswith("language-") and value[9:].replace("-", "").isalnum() else None
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith(("http://", "https://")) else None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_keep_attribute,
        strip_comments=True,
    )


def render(source: str) -> str:
    """Sanitized HTML for this Markdown source (safe to mark safe in a template)."""
    return sanitize(_md.render(source or ""))

"""Markdown to safe HTML: markdown-it renders, nh3 sanitizes with an allow-list."""

import nh3
from markdown_it import MarkdownIt


def markdown_parser() -> MarkdownIt:
    """A fresh parser with the portal's settings (raw HTML off, tables, strikethrough), for plugins."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


_markdown = markdown_parser()

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}


def sanitize_html(html: str, *, allowed_classes: dict[str, set[str]] | None = None) -> str:
    """Keep only the allow-list of `html` (tags, attributes, URL schemes); classes only as listed."""
    attributes = ALLOWED_ATTRIBUTES
    if allowed_classes:
        attributes = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
        for tag in allowed_classes:
            attributes.setdefault(tag, set()).discard("class")  # nh3: `class` is governed by allowed_classes
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attributes,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        allowed_classes=allowed_classes,
    )


def render_markdown(text: str) -> str:
    """Render user Markdown to HTML that is safe to mark_safe."""
    return sanitize_html(_markdown.render(text or ""))

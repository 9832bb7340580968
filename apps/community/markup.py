"""Post Markdown: the portal's renderer plus `@mentions` and `#asset` references, then the sanitizer.

A post is parsed once into tokens; `@name` and `#slug` become tokens of their own (never
inside code spans, code blocks or link texts). Rendering happens per reader: the caller
resolves the names into links the *reader* may follow (`Links`), so a reference to an asset
the reader cannot see stays plain text and tells them nothing. The HTML then goes through
the same nh3 allow-list as every other piece of user Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from apps.core.markdown import markdown_parser, sanitize_html

# @username (Django's characters) or @team-slug; never ends on punctuation ("@alice." → alice).
MENTION = re.compile(r"@([A-Za-z0-9_](?:[A-Za-z0-9_.+-]{0,148}[A-Za-z0-9_])?)")
# #slug or #team-slug/slug; starts with a letter so "#1" and "#42" stay text.
REFERENCE = re.compile(r"#([A-Za-z][A-Za-z0-9_-]{0,199})(?:/([A-Za-z0-9][A-Za-z0-9_-]{0,199}))?")
# A mention or reference only starts a word: e-mail addresses, URLs' fragments and entities are not one.
NOT_BEFORE = set("_.-+/@#&=:?") | {chr(c) for c in range(0x30, 0x3A)}

ALLOWED_CLASSES = {"a": {"mention", "asset-ref"}}


@dataclass(frozen=True)
class Reference:
    """`#slug` (team None) or `#team/slug`, as written, lower-cased."""

    slug: str
    team: str | None = None

    @property
    def text(self) -> str:
        return f"#{self.team}/{self.slug}" if self.team else f"#{self.slug}"


@dataclass
class Found:
    """The names a body mentions and the assets it references."""

    names: set[str] = field(default_factory=set)
    references: set[Reference] = field(default_factory=set)

    def update(self, other: Found) -> None:
        self.names |= other.names
        self.references |= other.references


@dataclass(frozen=True)
class Link:
    url: str
    title: str = ""


@dataclass
class Links:
    """What a reader may follow: mention name → link (users, teams), reference → link (assets)."""

    people: dict[str, Link] = field(default_factory=dict)
    assets: dict[Reference, Link] = field(default_factory=dict)


def _word_start(state: StateInline) -> bool:
    if state.pos == 0:
        return True
    before = state.src[state.pos - 1]
    return not (before.isalpha() or before in NOT_BEFORE)


def _mention_rule(state: StateInline, silent: bool) -> bool:
    char = state.src[state.pos]
    if char not in "@#" or state.linkLevel > 0 or not _word_start(state):
        return False
    match = (MENTION if char == "@" else REFERENCE).match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        if char == "@":
            token = state.push("mention", "", 0)
            token.meta = {"name": match.group(1).lower()}
        else:
            first, second = match.group(1).lower(), (match.group(2) or "").lower()
            token = state.push("asset_reference", "", 0)
            token.meta = {
                "reference": Reference(slug=second, team=first) if second else Reference(slug=first)
            }
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _render_mention(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    token = tokens[idx]
    link = env.get("links", Links()).people.get(token.meta["name"])
    if link is None:
        return escape(token.content)
    return _anchor("mention", link, token.content)


def _render_reference(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    token = tokens[idx]
    link = env.get("links", Links()).assets.get(token.meta["reference"])
    if link is None:
        return escape(token.content)
    return _anchor("asset-ref", link, token.content)


def _anchor(css: str, link: Link, text: str) -> str:
    return f'<a class="{css}" href="{escape(link.url)}" title="{escape(link.title)}">{escape(text)}</a>'


def _parser() -> MarkdownIt:
    md = markdown_parser()
    md.inline.ruler.before("link", "mention", _mention_rule)
    md.inline.add_terminator_char("@")
    md.inline.add_terminator_char("#")
    md.add_render_rule("mention", _render_mention)
    md.add_render_rule("asset_reference", _render_reference)
    return md


_md = _parser()


class Parsed:
    """A body parsed once: what it mentions and references, and its HTML for any reader's links."""

    def __init__(self, text: str):
        self.tokens = _md.parse(text or "")
        self.found = Found()
        for token in _walk(self.tokens):
            if token.type == "mention":
                self.found.names.add(token.meta["name"])
            elif token.type == "asset_reference":
                self.found.references.add(token.meta["reference"])

    def html(self, links: Links | None = None) -> str:
        raw = _md.renderer.render(self.tokens, _md.options, {"links": links or Links()})
        return sanitize_html(raw, allowed_classes=ALLOWED_CLASSES)


def _walk(tokens: Iterable[Token]) -> Iterable[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def parse(text: str) -> Parsed:
    return Parsed(text)


def found_in(text: str) -> Found:
    """The names and references a body contains (outside code)."""
    return Parsed(text).found


def render(text: str, links: Links | None = None) -> str:
    """A body's safe HTML with `links` (none: mentions and references as plain text)."""
    return Parsed(text).html(links)

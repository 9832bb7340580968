"""User Markdown comes out as inert HTML: markdown-it renders, nh3 keeps only an allow-list."""

import re
from html.parser import HTMLParser

import pytest

from apps.core.markdown import ALLOWED_TAGS, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src='javascript:alert(1)'></iframe>",
    "<a href='javascript:alert(1)'>x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<body onload=alert(1)>",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<style>body{background:red}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<object data='javascript:alert(1)'></object>",
    "<embed src='javascript:alert(1)'>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "<base href='javascript:alert(1)//'>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "<a href=x onmouseover=alert(1)>x</a>",
    "`<script>alert(1)</script>`",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | 2 |",
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")


class TagCollector(HTMLParser):
    """Every real element and attribute in the output (escaped text is not markup)."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def unsafe_markup(html: str) -> list[str]:
    collector = TagCollector()
    collector.feed(html)
    problems = []
    for tag, attrs in collector.elements:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style" and tag not in {"td", "th"}:
                problems.append(f"{tag}[{name}]")
            if name in {"href", "src"}:
                target = re.sub(r"\s", "", value or "").lower()
                if ":" in target.split("/")[0] and not target.startswith(SAFE_SCHEMES):
                    problems.append(f"{tag}[{name}={value}]")
    return problems


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_each_xss_payload_comes_out_inert(payload):
    html = render_markdown(payload)

    assert unsafe_markup(html) == [], html


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown(
        "# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.org)"
    )

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_code_blocks_show_markup_as_text():
    html = render_markdown("```\n<script>alert(1)</script>\n```")

    assert "&lt;script&gt;" in html
    assert "<script>" not in html


def test_the_checker_itself_catches_live_markup():
    # Guards the guard: unsanitized payloads must be flagged, or the tests above prove nothing.
    assert unsafe_markup('<script>alert(1)</script><a href="javascript:x" onclick="y">z</a>') == [
        "<script>",
        "a[href=javascript:x]",
        "a[onclick]",
    ]

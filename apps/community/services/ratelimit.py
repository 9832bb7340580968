"""Posting rate limits per person, counted in the cache (fixed windows), e.g. 10 a minute and 100 a day.

`COMMUNITY_POST_RATE_LIMITS` ("10/minute,100/day") sets them; an empty value turns them off.
The counters live in Django's default cache: the embedded default's local-memory cache counts
per process (fine for one web process); production sets `CACHE_URL` to Redis so every web
process shares the same counters.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RULE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day|s|m|h|d)s?\s*$")


@dataclass(frozen=True)
class RateLimit:
    count: int
    seconds: int

    def __str__(self) -> str:
        unit = {value: name for name, value in UNITS.items()}.get(self.seconds, f"{self.seconds} s")
        return f"{self.count} posts a {unit}"


class RateLimited(Exception):
    """Too many posts: `retry_after` seconds until the fullest window opens again."""

    def __init__(self, limit: RateLimit, retry_after: int):
        self.limit = limit
        self.retry_after = max(1, retry_after)
        super().__init__(
            f"You are posting too fast (at most {limit}). Try again in {_duration(self.retry_after)}."
        )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 5400:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def parse_limits(value: str) -> list[RateLimit]:
    """ "10/minute,100/day" → [RateLimit(10, 60), RateLimit(100, 86400)]; ImproperlyConfigured if bad."""
    limits = []
    for part in (value or "").split(","):
        if not part.strip():
            continue
        match = _RULE.match(part)
        if match is None:
            raise ImproperlyConfigured(
                f"COMMUNITY_POST_RATE_LIMITS: {part.strip()!r} is not <count>/<second|minute|hour|day>"
            )
        unit = match.group(2)
        seconds = UNITS.get(unit) or {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
        limits.append(RateLimit(count=int(match.group(1)), seconds=seconds))
    return limits


def post_rate_limits() -> list[RateLimit]:
    return parse_limits(getattr(settings, "COMMUNITY_POST_RATE_LIMITS", ""))


def _key(user_id: int, limit: RateLimit, window: int) -> str:
    return f"community:posts:{user_id}:{limit.seconds}:{window}"


def post_rate_limit_take(*, user) -> None:
    """Count one post for `user` in every window, or raise RateLimited (and count nothing)."""
    now = time.time()
    taken: list[str] = []
    for limit in post_rate_limits():
        window = int(now // limit.seconds)
        key = _key(user.pk, limit, window)
        cache.add(key, 0, timeout=limit.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=limit.seconds + 1)
            count = 1
        taken.append(key)
        if count > limit.count:
            for key_taken in taken:  # a refused post uses up nothing
                with contextlib.suppress(ValueError):
                    cache.decr(key_taken)
            raise RateLimited(limit, int((window + 1) * limit.seconds - now) + 1)


def post_rate_limit_remaining(*, user) -> int | None:
    """Posts `user` may still make now (the tightest window), None without limits."""
    now = time.time()
    remaining = None
    for limit in post_rate_limits():
        used = cache.get(_key(user.pk, limit, int(now // limit.seconds)), 0)
        left = max(0, limit.count - used)
        remaining = left if remaining is None else min(remaining, left)
    return remaining

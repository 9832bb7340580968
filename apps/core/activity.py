"""The activity hook: how the home page and team pages show "who did what, when" without importing
`community`, which owns the activity feed (history of every registered asset plus community events).

`core` defines the interface; the community app installs the provider from its AppConfig.ready().
Until it does, feeds are empty and there is no activity page to link to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

_recent: Callable[..., list] | None = None
_url: Callable[..., str] | None = None


def set_activity_provider(*, recent: Callable[..., list] | None, url: Callable[..., str] | None) -> None:
    """Install the feed (`recent(user=, team_ids=, limit=)`) and the link to its page (`url(team=)`)."""
    global _recent, _url
    _recent, _url = recent, url


def activity_recent(*, user, team_ids: Sequence[int] | None = None, limit: int = 15) -> list[Any]:
    """The latest ActivityItems `user` may see in `team_ids` (None: everywhere), newest first."""
    if _recent is None:
        return []
    return _recent(user=user, team_ids=team_ids, limit=limit)


def activity_url(*, team=None) -> str:
    """The full, filterable activity page (of `team`), or "" when no provider is installed."""
    if _url is None:
        return ""
    return _url(team=team)

"""Home page panels: how an app puts a card on the home page without `core` importing it.

    register_home_panel("announcements", template="community/_announcement_home.html",
                        context=lambda user: {"announcements": [...]} , order=10)

`context(user)` returns the panel's template context, or None when it has nothing to show;
it must run a fixed number of queries (the home page's count is pinned by a test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    context: Callable[..., dict | None]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict


_PANELS: dict[str, HomePanel] = {}


def register_home_panel(
    key: str, *, template: str, context: Callable[..., dict | None], order: int = 100
) -> None:
    """Add (or replace) a panel at the top of the home page's main column; lower `order` comes first."""
    _PANELS[key] = HomePanel(key=key, template=template, context=context, order=order)


def home_panels(*, user) -> list[RenderedPanel]:
    """The panels with something to show `user`, in order."""
    rendered = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(user)
        if context:
            rendered.append(RenderedPanel(key=panel.key, template=panel.template, context=context))
    return rendered

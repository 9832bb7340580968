"""The notification hook: how any app announces an event to people without importing `community`.

`core` defines the interface and the catalogue of event types; the community app
(which owns notifications, preferences and email delivery) installs the handler
from its AppConfig.ready(). Until it does, `notify` does nothing, so a domain app
works the same with or without notifications installed.

    register_event_type("catalog.access_requested", label="Access requested on a dataset you steward")
    notify(recipients=[steward], event="catalog.access_requested", actor=bob, target=request,
           message="Bob asked for access to Card transactions", url=request.get_absolute_url())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    email_by_default: bool = True


_EVENT_TYPES: dict[str, EventType] = {}
# Models whose rows may be a notification's target besides the registered asset types (label → model).
_TARGET_MODELS: dict[str, type] = {}
_handler: Callable[..., Any] | None = None
_followers_handler: Callable[..., Any] | None = None


def register_event_type(name: str, *, label: str, email_by_default: bool = True) -> EventType:
    """Declare a kind of event people can be notified of (and set preferences for)."""
    event = EventType(name=name, label=label, email_by_default=email_by_default)
    _EVENT_TYPES[name] = event
    return event


def event_types() -> list[EventType]:
    return sorted(_EVENT_TYPES.values(), key=lambda event: event.name)


def event_type(name: str) -> EventType | None:
    return _EVENT_TYPES.get(name)


def register_notification_target(model: type) -> None:
    """Allow rows of `model` as notification targets; its queryset must have `restrict(user, action)`.

    Registered asset types are targets already. A notification is shown (inbox, badge, API) and
    emailed only while its recipient may `view` its target, through that model's `restrict`.
    """
    if not hasattr(model._default_manager.all(), "restrict"):
        raise TypeError(f"{model._meta.label} has no restrict(user, action): it cannot be a target")
    _TARGET_MODELS[model._meta.label_lower] = model


def notification_target_models() -> list[type]:
    """Every model a notification may point at: the registered asset types and the registered targets."""
    from apps.core.assets import asset_types

    found = {registered.model._meta.label_lower: registered.model for registered in asset_types()}
    found.update(_TARGET_MODELS)
    return [model for model in found.values() if hasattr(model._default_manager.all(), "restrict")]


def is_notification_target(model_or_instance) -> bool:
    label = model_or_instance._meta.label_lower
    return any(model._meta.label_lower == label for model in notification_target_models())


def set_notification_handler(handler: Callable[..., Any] | None) -> None:
    """Install the function that turns events into notifications (the community app's `notify`)."""
    global _handler
    _handler = handler


def notify(*, recipients: Iterable, event: str, actor=None, target=None, message: str, url: str = "") -> Any:
    """Tell `recipients` about `event` on `target`, in the caller's transaction; no-op without a handler."""
    if _handler is None:
        return []
    return _handler(recipients=recipients, event=event, actor=actor, target=target, message=message, url=url)


def set_followers_handler(handler: Callable[..., Any] | None) -> None:
    """Install the function that lists who follows an object (the community app's `followers_of`)."""
    global _followers_handler
    _followers_handler = handler


def followers_of(target) -> list:
    """People following `target` (and, for an asset, its owning team); [] without a handler.

    Not filtered by visibility: `notify` drops whoever may not see the target.
    """
    if _followers_handler is None or target is None:
        return []
    return list(_followers_handler(target=target))


def notify_followers(*, target, event: str, actor=None, message: str, url: str = "") -> Any:
    """Tell the followers of `target` about `event` (e.g. a quality failure, a release, an SLA breach)."""
    return notify(
        recipients=followers_of(target), event=event, actor=actor, target=target, message=message, url=url
    )

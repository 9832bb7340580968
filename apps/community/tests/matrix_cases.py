"""Cross-team cases for notifications: alice's inbox is invisible to bob, through pages and the API."""

from __future__ import annotations

from apps.community.models import Notification
from apps.core.testing.matrix import Listing, Private, matrix_case, private_asset

PRIVATE_MESSAGE = "Chargeback spike on Card transactions: 312 disputes overnight"


def alice_notification(world) -> Notification:
    """A notification of alice's about Fraud's private dataset (built once per case)."""
    from django.contrib.contenttypes.models import ContentType

    dataset = world.private_dataset
    notification = Notification.objects.filter(recipient=world.alice, message=PRIVATE_MESSAGE).first()
    if notification is None:
        notification = Notification.objects.create(
            recipient=world.alice,
            event="catalog.access_requested",
            actor=world.olivia,
            target_type=ContentType.objects.get_for_model(dataset),
            target_id=str(dataset.pk),
            message=PRIVATE_MESSAGE,
            url=f"/catalog/datasets/{dataset.pk}/",  # not reverse(): the leak tests use their own URLconf
        )
    return notification


@private_asset("notification")
def private_notification_asset(world) -> list[str]:
    alice_notification(world)
    return [PRIVATE_MESSAGE]


@matrix_case("community:notification_list")
def notification_list(world):
    return Listing(queries=[{}, {"show": "unread"}, {"page": "2"}])


@matrix_case("community:notification_badge", "community:notification_preferences")
def own_inbox_pages(world):
    return Listing()


@matrix_case("community:notification_read_all")
def mark_all_read(world):
    # Bob marks *his* notifications read: the answer must not depend on alice's.
    return Listing(method="POST", status=302)


@matrix_case(
    "community:notification_open",
    "community:notification_read",
    "notification-detail",
    "notification-read",
)
def alices_notification(world):
    notification = alice_notification(world)
    return Private(kwargs={"pk": notification.pk}, obj=notification)


@matrix_case("notification-list")
def api_notification_list(world):
    return Listing(queries=[{}, {"unread": "true"}, {"search": "Chargeback"}])


@matrix_case("notification-read-all")
def api_mark_all_read(world):
    return Listing(method="POST", status=200)

"""Cross-team cases for notifications: alice's inbox is invisible to bob, through pages and the API."""

from __future__ import annotations

from apps.community.models import Notification
from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

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


# ======================================================================================
# Ideas, votes, announcements and the activity feed (c2). Kept in one block at the end
# of the file so the discussions cases (c1) can be appended independently.
# ======================================================================================
PRIVATE_IDEA_TITLE = "Score mule rings with Project Falcon"
PRIVATE_IDEA_TEXT = "Falcon graph features flag mule accounts two weeks earlier"
INTERNAL_IDEA_TITLE = "Add merchant category codes to card data"
TEAM_ANNOUNCEMENT_TITLE = "Falcon rollout freezes the chargeback tables"
ORG_ANNOUNCEMENT_TITLE = "Warehouse maintenance on Saturday"


def private_idea(world):
    """A private idea of Fraud Analytics (alice's), linked to Fraud's private dataset."""
    from apps.community.models import Idea
    from apps.community.services.ideas import idea_create, idea_link_add

    idea = Idea.objects.filter(title=PRIVATE_IDEA_TITLE).first()
    if idea is None:
        idea = idea_create(
            team=world.fraud_team,
            by=world.alice,
            title=PRIVATE_IDEA_TITLE,
            description=PRIVATE_IDEA_TEXT,
            visibility="private",
        )
        idea_link_add(idea=idea, by=world.alice, target=world.private_dataset)
    return idea


def internal_idea(world):
    """An internal idea of Fraud Analytics: bob may read it and vote, not edit or triage it."""
    from apps.community.models import Idea
    from apps.community.services.ideas import idea_create

    idea = Idea.objects.filter(title=INTERNAL_IDEA_TITLE).first()
    if idea is None:
        idea = idea_create(team=world.fraud_team, by=world.alice, title=INTERNAL_IDEA_TITLE)
    return idea


def team_announcement(world):
    """An announcement to Fraud Analytics' members only."""
    from apps.community.models import Announcement
    from apps.community.services.announcements import announcement_create

    found = Announcement.objects.filter(title=TEAM_ANNOUNCEMENT_TITLE).first()
    if found is None:
        found = announcement_create(
            by=world.olivia,
            team=world.fraud_team,
            title=TEAM_ANNOUNCEMENT_TITLE,
            body="Until Friday.",
            severity="critical",
            asset=world.private_dataset,
        )
    return found


def org_announcement(world):
    """An organisation-wide announcement by olivia (staff data officer): bob reads it, may not change it."""
    from apps.community.models import Announcement
    from apps.community.services.announcements import announcement_create

    found = Announcement.objects.filter(title=ORG_ANNOUNCEMENT_TITLE).first()
    if found is None:
        found = announcement_create(by=world.olivia, team=None, title=ORG_ANNOUNCEMENT_TITLE)
    return found


@private_asset("idea")
def private_idea_asset(world) -> list[str]:
    idea = private_idea(world)
    return [
        PRIVATE_IDEA_TITLE,
        PRIVATE_IDEA_TEXT,
        f"/community/ideas/{idea.pk}/",
        f"/api/v1/ideas/{idea.pk}/",
    ]


@private_asset("team_announcement")
def team_announcement_asset(world) -> list[str]:
    announcement = team_announcement(world)
    return [
        TEAM_ANNOUNCEMENT_TITLE,
        f"/community/announcements/{announcement.pk}/",
        f"/api/v1/announcements/{announcement.pk}/",
    ]


# --- ideas: pages ------------------------------------------------------------------------
@matrix_case("community:idea_list")
def idea_board(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"q": "Falcon"},
            {"team": fraud},
            {"status": "proposed"},
            {"status": "open"},
            {"sort": "top"},
            {"sort": "new"},
            {"asset_type": "catalog.dataset"},
            {"page": "2"},
        ]
    )


@matrix_case("community:idea_create")
def idea_create_form(world):
    return Listing()


@matrix_case("community:idea_create")
def idea_create_private_in_another_team(world):
    data = {"team": world.fraud_team.pk, "title": "Sneaky", "visibility": "private", "description": ""}
    return Listing(method="POST", data=data, status=200)  # the form again, with an error on visibility


@matrix_case(
    "community:idea_detail",
    "community:idea_edit",
    "community:idea_history",
    "community:idea_vote",
    "community:idea_transition",
    "community:idea_link_add",
    "community:idea_delete",
    "idea-detail",
    "idea-vote",
    "idea-transition",
    "idea-links",
)
def private_idea_routes(world):
    idea = private_idea(world)
    return Private(kwargs={"pk": idea.pk}, obj=idea)


@matrix_case("community:idea_link_remove", "idea-link")
def private_idea_link(world):
    idea = private_idea(world)
    link = idea.links.first()
    return Private(kwargs={"pk": idea.pk, "link_pk": link.pk}, obj=link)


@matrix_case(
    "community:idea_edit", "community:idea_transition", "community:idea_delete", "community:idea_link_add"
)
def internal_idea_refused(world):
    idea = internal_idea(world)
    return Refused(kwargs={"pk": idea.pk}, obj=idea)


@matrix_case("idea-detail")
def api_internal_idea_change(world):
    idea = internal_idea(world)
    return Refused(kwargs={"pk": idea.pk}, obj=idea, methods=("PUT", "PATCH", "DELETE"))


@matrix_case("idea-transition")
def api_internal_idea_transition(world):
    idea = internal_idea(world)
    return Refused(kwargs={"pk": idea.pk}, obj=idea, methods=("POST",))


@matrix_case("idea-list")
def api_idea_list(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"search": "Falcon"},
            {"team": fraud},
            {"status": "proposed"},
            {"sort": "top"},
            {"asset_type": "catalog.dataset"},
        ]
    )


@matrix_case("idea-list")
def api_private_idea_in_another_team(world):
    data = {"team": world.fraud_team.slug, "title": "Sneaky", "visibility": "private"}
    return Listing(method="POST", data=data, status=400)


# --- announcements -------------------------------------------------------------------------
@matrix_case("community:announcement_list")
def announcement_list(world):
    return Listing(queries=[{}, {"scope": "all"}, {"scope": "past"}, {"scope": "scheduled"}, {"page": "2"}])


@matrix_case("community:announcement_create")
def announcement_create_form(world):
    return Listing(status=403)  # bob is no data officer


@matrix_case("community:announcement_create")
def announcement_create_post(world):
    data = {"audience": world.fraud_team.slug, "title": "Sneaky", "severity": "info"}
    return Listing(method="POST", data=data, status=403)


@matrix_case(
    "community:announcement_detail",
    "community:announcement_edit",
    "community:announcement_end",
    "community:announcement_dismiss",
    "announcement-detail",
    "announcement-dismiss",
    "announcement-end",
)
def team_announcement_routes(world):
    announcement = team_announcement(world)
    return Private(kwargs={"pk": announcement.pk}, obj=announcement)


@matrix_case("community:announcement_edit", "community:announcement_end")
def org_announcement_refused(world):
    announcement = org_announcement(world)
    return Refused(kwargs={"pk": announcement.pk}, obj=announcement)


@matrix_case("announcement-detail")
def api_org_announcement_change(world):
    announcement = org_announcement(world)
    return Refused(kwargs={"pk": announcement.pk}, obj=announcement, methods=("PUT", "PATCH"))


@matrix_case("announcement-end")
def api_org_announcement_end(world):
    announcement = org_announcement(world)
    return Refused(kwargs={"pk": announcement.pk}, obj=announcement, methods=("POST",))


@matrix_case("announcement-list")
def api_announcement_list(world):
    return Listing(queries=[{}, {"scope": "all"}, {"dismissed": "false"}])


@matrix_case("announcement-list")
def api_announcement_to_another_team(world):
    data = {"team": world.fraud_team.slug, "title": "Sneaky"}
    return Listing(method="POST", data=data, status=400)


# --- activity -------------------------------------------------------------------------------
@matrix_case("community:activity")
def activity_feed_page(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"team": fraud},
            {"kind": "created"},
            {"kind": "vote"},
            {"kind": "status"},
            {"kind": "link"},
            {"asset_type": "catalog.dataset"},
            {"asset_type": "community.idea"},
            {"person": "alice"},
            {"page": "2"},
        ]
    )


@matrix_case("activity-list")
def api_activity_feed(world):
    fraud = world.fraud_team.slug
    return Listing(queries=[{}, {"team": fraud}, {"kind": "vote"}, {"person": "alice"}])


@matrix_case("community:asset_activity", "asset-activity")
def private_dataset_activity(world):
    dataset = world.private_dataset
    return Private(kwargs={"label": "catalog.dataset", "pk": dataset.pk}, obj=dataset)


@matrix_case("community:asset_activity", "asset-activity")
def private_idea_activity(world):
    idea = private_idea(world)
    return Private(kwargs={"label": "community.idea", "pk": idea.pk}, obj=idea)


# --- the admin site, as pam (data officer of Data Platform) ----------------------------------
def _admin_cases(prefix: str, get_object) -> None:
    statuses = frozenset({302, 403, 404})

    @matrix_case(f"admin:{prefix}_changelist")
    def changelist(world):
        return Listing(client="pam", queries=[{}, {"q": "Falcon"}])

    @matrix_case(f"admin:{prefix}_add")
    def add_form(world):
        return Listing(client="pam", status=403)  # posted from the site, never from the admin

    @matrix_case(f"admin:{prefix}_change", f"admin:{prefix}_delete", f"admin:{prefix}_history")
    def object_pages(world):
        obj = get_object(world)
        return Private(kwargs={"object_id": obj.pk}, obj=obj, client="pam", statuses=statuses)

    @matrix_case(f"admin:{prefix}_simple_history")
    def revert_page(world):
        obj = get_object(world)
        record = obj.history.first()
        return Private(kwargs={}, args=(obj.pk, record.history_id), obj=obj, client="pam", statuses=statuses)


_admin_cases("community_idea", private_idea)
_admin_cases("community_announcement", team_announcement)

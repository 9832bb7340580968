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
            {"kind": "post"},
            {"asset_type": "catalog.dataset"},
            {"asset_type": "community.idea"},
            {"person": "alice"},
            {"page": "2"},
        ]
    )


@matrix_case("activity-list")
def api_activity_feed(world):
    fraud = world.fraud_team.slug
    return Listing(queries=[{}, {"team": fraud}, {"kind": "vote"}, {"kind": "post"}, {"person": "alice"}])


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


# --- discussions ------------------------------------------------------------------------------------
PRIVATE_THREAD_TITLE = "Chargeback ring suspected at merchant 4471"
PRIVATE_THREAD_BODY = "Seventeen cards tested with one-cent authorisations overnight"
PRIVATE_REPLY = "Blocklisted the merchant's terminal range pending review"
PRIVATE_CATEGORY = "Fraud war room"
PRIVATE_CATEGORY_THREAD = "Quarter-end model freeze checklist"


def private_thread(world):
    """alice's question on Fraud's private dataset, with olivia's reply and a reaction (once per case)."""
    from apps.community.models import Post, Thread
    from apps.community.services import post_create, reaction_toggle, thread_create

    thread = Thread.objects.filter(title=PRIVATE_THREAD_TITLE).first()
    if thread is None:
        thread = thread_create(
            by=world.alice,
            title=PRIVATE_THREAD_TITLE,
            body=f"{PRIVATE_THREAD_BODY} on #card-transactions, @olivia?",
            kind="question",
            asset=world.private_dataset,
            rate_limited=False,
        )
        reply = post_create(by=world.olivia, thread=thread, body=PRIVATE_REPLY, rate_limited=False)
        reaction_toggle(by=world.alice, post=reply, emoji="rocket")
    return thread, Post.objects.filter(thread=thread, is_opening=False).first()


def private_category(world):
    """Fraud's team-only category with one thread in it."""
    from apps.community.models import Category
    from apps.community.services import category_create, thread_create

    category = Category.objects.filter(name=PRIVATE_CATEGORY).first()
    if category is None:
        category = category_create(
            by=world.olivia, name=PRIVATE_CATEGORY, team=world.fraud_team, visibility="private"
        )
        thread_create(
            by=world.alice,
            title=PRIVATE_CATEGORY_THREAD,
            body="Freeze at T-3",
            category=category,
            rate_limited=False,
        )
    return category


def internal_thread(world):
    """alice's discussion on Fraud's internal dataset: bob sees it but may not change it."""
    from apps.community.models import Post, Thread
    from apps.community.services import post_create, thread_create

    thread = Thread.objects.filter(title="Merchant list refresh cadence").first()
    if thread is None:
        thread = thread_create(
            by=world.alice,
            title="Merchant list refresh cadence",
            body="Weekly or daily?",
            kind="question",
            asset=world.internal_dataset,
            rate_limited=False,
        )
        post_create(by=world.alice, thread=thread, body="Daily, it seems.", rate_limited=False)
    return thread, Post.objects.filter(thread=thread, is_opening=False).first()


@private_asset("discussion")
def private_discussion_asset(world) -> list[str]:
    thread, reply = private_thread(world)
    return [PRIVATE_THREAD_TITLE, PRIVATE_THREAD_BODY, PRIVATE_REPLY, f"/community/t/{thread.pk}/"]


@private_asset("forum_category")
def private_category_asset(world) -> list[str]:
    category = private_category(world)
    return [PRIVATE_CATEGORY, PRIVATE_CATEGORY_THREAD, f"/community/c/{category.slug}/"]


@matrix_case("community:home")
def forum_home(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"kind": "question"},
            {"team": fraud},
            {"type": "catalog.dataset"},
            {"type": "category"},
            {"unanswered": "1", "status": "open"},
            {"q": "Chargeback"},
            {"author": "alice"},
            {"page": "2"},
        ]
    )


@matrix_case("community:follow_list", "community:thread_create")
def own_forum_pages(world):
    return Listing(queries=[{}, {"kind": "incident"}])


@matrix_case("community:category_create")
def category_create_page(world):
    return Listing(status=403)  # bob is no data officer


@matrix_case("community:category_detail")
def org_wide_category(world):
    from apps.community.services import category_create

    category = category_create(by=world.root, name="Help desk")
    # The category is built in the case, so there is no "without" baseline: the secrets check stands.
    return Listing(
        kwargs={"slug": category.slug},
        queries=[{}, {"q": "Chargeback"}, {"kind": "question"}],
        compare_without=False,
    )


@matrix_case("community:category_detail", "community:category_edit")
def fraud_private_category(world):
    category = private_category(world)
    return Private(kwargs={"slug": category.slug}, obj=category)


@matrix_case(
    "community:thread_detail",
    "community:post_create",
    "community:thread_edit",
    "community:thread_accept",
    "community:thread_moderate",
)
def private_thread_routes(world):
    thread, _ = private_thread(world)
    return Private(kwargs={"pk": thread.pk}, obj=thread)


@matrix_case("community:post_edit", "community:post_revisions", "community:post_react")
def private_post_routes(world):
    _, reply = private_thread(world)
    return Private(kwargs={"pk": reply.pk}, obj=reply)


@matrix_case("community:thread_create")
def new_thread_on_a_private_asset(world):
    dataset = world.private_dataset
    return Private(kwargs={}, query={"asset": f"catalog.dataset:{dataset.pk}"}, obj=dataset)


@matrix_case("community:asset_discussions")
def private_asset_discussions(world):
    dataset = world.private_dataset
    private_thread(world)
    return Private(kwargs={"label": "catalog.dataset", "pk": dataset.pk}, obj=dataset)


@matrix_case("community:asset_discussions")
def internal_asset_discussions(world):
    internal_thread(world)
    return Listing(
        kwargs={"label": "catalog.dataset", "pk": world.internal_dataset.pk},
        queries=[{}, {"kind": "question"}],
        compare_without=False,  # the dataset is built in the case: no baseline, the secrets check stands
    )


@matrix_case("community:thread_edit", "community:thread_accept", "community:thread_moderate")
def internal_thread_changes(world):
    thread, _ = internal_thread(world)
    return Refused(kwargs={"pk": thread.pk}, obj=thread)


@matrix_case("community:post_edit")
def internal_post_edit(world):
    _, reply = internal_thread(world)
    return Refused(kwargs={"pk": reply.pk}, obj=reply)


@matrix_case("community:preview")
def preview_of_private_references(world):
    # A reference to a private asset previews as plain text, exactly as for a missing one.
    return Listing(
        method="POST", data={"body": "See #card-transactions and #fraud-analytics/card-transactions"}
    )


@matrix_case("community:autocomplete")
def autocomplete(world):
    return Listing(queries=[{"q": "#card"}, {"q": "#c"}, {"q": "@ali"}, {"q": "#fraud"}])


@matrix_case("community:follow_toggle")
def follow_a_private_dataset(world):
    dataset = world.private_dataset
    return Listing(method="POST", data={"target": f"catalog.dataset:{dataset.pk}"}, status=404)


@matrix_case("community:follow_toggle")
def follow_a_private_thread(world):
    thread, _ = private_thread(world)
    return Listing(method="POST", data={"target": f"community.thread:{thread.pk}"}, status=404)


# --- the discussions API ---------------------------------------------------------------------------
@matrix_case("category-list")
def api_category_list(world):
    return Listing(queries=[{}, {"search": "Fraud"}, {"visibility": "private"}])


@matrix_case("category-detail")
def api_private_category(world):
    category = private_category(world)
    return Private(kwargs={"slug": category.slug}, obj=category)


@matrix_case("thread-list")
def api_thread_list(world):
    dataset = world.private_dataset
    return Listing(
        queries=[
            {},
            {"asset": f"catalog.dataset:{dataset.pk}"},
            {"category": "fraud-war-room"},
            {"kind": "question"},
            {"team": world.fraud_team.slug},
            {"unanswered": "true"},
            {"search": "Chargeback"},
        ]
    )


@matrix_case("thread-list")
def api_thread_on_a_private_asset(world):
    data = {"title": "Sneaky", "body": "x", "asset": f"catalog.dataset:{world.private_dataset.pk}"}
    return Listing(method="POST", data=data, status=400)


@matrix_case("thread-list")
def api_thread_in_a_private_category(world):
    private_category(world)
    return Listing(
        method="POST", data={"title": "Sneaky", "body": "x", "category": "fraud-war-room"}, status=400
    )


@matrix_case("thread-detail", "thread-accept", "thread-moderate")
def api_private_thread(world):
    thread, _ = private_thread(world)
    return Private(kwargs={"pk": thread.pk}, obj=thread)


@matrix_case("thread-detail")
def api_internal_thread_change(world):
    thread, _ = internal_thread(world)
    return Refused(kwargs={"pk": thread.pk}, obj=thread, methods=("PATCH",))


@matrix_case("thread-accept", "thread-moderate")
def api_internal_thread_actions(world):
    thread, _ = internal_thread(world)
    return Refused(kwargs={"pk": thread.pk}, obj=thread)


@matrix_case("post-list")
def api_post_list(world):
    thread, _ = private_thread(world)
    return Listing(queries=[{}, {"thread": thread.pk}, {"search": "Blocklisted"}, {"author": "olivia"}])


@matrix_case("post-list")
def api_post_in_a_private_thread(world):
    thread, _ = private_thread(world)
    return Listing(method="POST", data={"thread": thread.pk, "body": "Let me in"}, status=400)


@matrix_case("post-detail", "post-react")
def api_private_post(world):
    _, reply = private_thread(world)
    return Private(kwargs={"pk": reply.pk}, obj=reply)


@matrix_case("post-detail")
def api_internal_post_change(world):
    _, reply = internal_thread(world)
    return Refused(kwargs={"pk": reply.pk}, obj=reply, methods=("PATCH", "DELETE"))


@matrix_case("follow-list")
def api_follow_list(world):
    from apps.community.services import follow_create

    follow_create(user=world.alice, target=world.private_dataset)
    return Listing(queries=[{}, {"target_type": "catalog.dataset"}])


@matrix_case("follow-list")
def api_follow_a_private_dataset(world):
    return Listing(method="POST", data={"target": f"catalog.dataset:{world.private_dataset.pk}"}, status=400)


@matrix_case("follow-detail")
def api_someone_elses_follow(world):
    from apps.community.services import follow_create

    follow = follow_create(user=world.alice, target=world.private_dataset)
    return Private(kwargs={"pk": follow.pk}, obj=follow)


# --- moderation: removing posts, and the forum in the data-officer admin (c3) -----------------------
@matrix_case("community:post_remove")
def private_post_remove(world):
    _, reply = private_thread(world)
    return Private(kwargs={"pk": reply.pk}, obj=reply)


@matrix_case("community:post_remove")
def internal_post_remove(world):
    _, reply = internal_thread(world)
    return Refused(kwargs={"pk": reply.pk}, obj=reply)


_admin_cases("community_category", private_category)
_admin_cases("community_thread", lambda world: private_thread(world)[0])
_admin_cases("community_post", lambda world: private_thread(world)[1])

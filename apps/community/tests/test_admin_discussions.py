"""The forum in the data-officer admin: scoped to what the officer moderates, saved by the services."""

import pytest
from django.urls import reverse

from apps.community import services
from apps.community.models import Category, Post, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def pam(make_user, platform_team, root):
    """Data Platform's data officer (staff)."""
    from apps.teams.services import membership_set

    user = make_user("pam", is_staff=True)
    membership_set(team=platform_team, user=user, role="data_officer", by=root)
    return user


@pytest.fixture
def reply(ann, private_thread):
    return services.post_create(by=ann, thread=private_thread, body="Payroll lands on Mondays.")


def test_the_officer_sees_the_discussions_she_moderates_and_no_others(
    client, olivia, pam, reply, private_thread, fraud_category
):
    for user, visible in ((olivia, True), (pam, False)):
        client.force_login(user)
        for name, text in (
            ("community_thread_changelist", private_thread.title),
            ("community_post_changelist", "Payroll"),
            ("community_category_changelist", fraud_category.name),
        ):
            response = client.get(reverse(f"admin:{name}"))
            assert response.status_code == 200
            assert (text in response.content.decode()) is visible, (user, name)
        for model, obj in ((Thread, private_thread), (Post, reply), (Category, fraud_category)):
            url = reverse(f"admin:community_{model._meta.model_name}_change", args=[obj.pk])
            assert (client.get(url).status_code == 200) is visible
            history = reverse(f"admin:community_{model._meta.model_name}_history", args=[obj.pk])
            assert (client.get(history).status_code == 200) is visible


def test_editing_a_post_goes_through_the_service_with_history(client, olivia, reply):
    client.force_login(olivia)
    response = client.post(
        reverse("admin:community_post_change", args=[reply.pk]), {"body": "Payroll lands on Fridays."}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reply.refresh_from_db()
    assert reply.body == "Payroll lands on Fridays." and reply.edited_at is not None
    assert reply.history.first().history_user == olivia


def test_moderating_a_thread_from_the_admin_is_recorded(client, olivia, private_thread):
    client.force_login(olivia)
    response = client.post(
        reverse("admin:community_thread_change", args=[private_thread.pk]),
        {"title": "Chargebacks on Mondays", "kind": "question", "is_pinned": "on", "is_locked": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    private_thread.refresh_from_db()
    assert private_thread.title == "Chargebacks on Mondays" and private_thread.is_pinned
    assert private_thread.is_locked and private_thread.history.first().history_user == olivia


def test_the_remove_action_removes_posts_and_a_removed_post_is_read_only(client, olivia, reply):
    client.force_login(olivia)
    response = client.post(
        reverse("admin:community_post_changelist"),
        {"action": "remove_posts", "_selected_action": [reply.pk]},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.removed_at is not None and reply.removed_by == olivia and reply.body == ""
    response = client.post(reverse("admin:community_post_change", args=[reply.pk]), {"body": "Back"})
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.body == ""


def test_nothing_is_added_or_deleted_from_the_admin(client, root, olivia, reply):
    for user in (olivia, root):
        client.force_login(user)
        for model in ("thread", "post", "category"):
            assert client.get(reverse(f"admin:community_{model}_add")).status_code == 403
        assert client.get(reverse("admin:community_post_delete", args=[reply.pk])).status_code == 403

"""Removing posts: who may, what the thread shows, what history keeps, and what leaves search and counts."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from apps.community import services
from apps.community.models import Post, Thread
from apps.search.selectors import SearchFilters, search_ranked

pytestmark = pytest.mark.django_db

REPLY_TEXT = "Payroll lands on Mondays, spending follows."


def found(user, text):
    return {
        (doc.asset_type, doc.title) for doc in search_ranked(user=user, text=text, filters=SearchFilters())
    }


@pytest.fixture
def reply(ann, private_thread):
    return services.post_create(by=ann, thread=private_thread, body=REPLY_TEXT)


def _remove(client, user, post):
    client.force_login(user)
    return client.post(reverse("community:post_remove", args=[post.pk]))


@pytest.mark.parametrize(
    "remover", ["ann", "olivia", "root"]
)  # the author, the team's data officer, a superuser
def test_the_author_a_moderator_or_a_superuser_removes_a_post(
    client, request, remover, alice, reply, private_thread
):
    user = request.getfixturevalue(remover)
    assert found(alice, "payroll") == {("community.post", f"Re: {private_thread.title}")}
    response = _remove(client, user, reply)
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{reply.pk}")
    reply.refresh_from_db()
    assert reply.body == "" and reply.removed_at is not None and reply.removed_by == user
    assert reply.history.first().history_user == user
    assert [record.body for record in reply.history.all()] == ["", REPLY_TEXT]  # the text is kept in history
    private_thread.refresh_from_db()
    assert private_thread.post_count == 1  # only the opening post is counted now
    assert found(alice, "payroll") == set()  # out of search

    client.force_login(alice)
    page = client.get(private_thread.get_absolute_url()).content.decode()
    assert "post-removed" in page and "Removed" in page and REPLY_TEXT not in page
    api = APIClient()
    api.force_authenticate(alice)
    row = api.get(f"/api/v1/posts/{reply.pk}/").json()
    assert row["body"] == "" and row["body_html"] == "" and row["removed_at"]


def test_another_member_without_manage_may_not_remove_a_post(client, alice, reply):
    with pytest.raises(PermissionDenied):
        services.post_remove(by=alice, post=reply)
    assert _remove(client, alice, reply).status_code == 403
    reply.refresh_from_db()
    assert reply.removed_at is None and reply.body == REPLY_TEXT


def test_another_team_may_not_remove_a_post_it_sees_and_cannot_find_one_it_does_not(
    client, alice, bob, reply, internal_thread
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.post_remove(by=bob, post=reply)
    assert _remove(client, bob, reply).status_code == 404  # the private thread is not his to see
    internal_reply = services.post_create(by=alice, thread=internal_thread, body="Daily.")
    assert _remove(client, bob, internal_reply).status_code == 403  # visible, not his to remove
    for post in (reply, internal_reply):
        post.refresh_from_db()
        assert post.removed_at is None and post.body


def test_the_revisions_of_a_removed_post_are_for_its_author_and_the_moderators(
    client, alice, ann, olivia, reply
):
    services.post_remove(by=olivia, post=reply)
    url = reverse("community:post_revisions", args=[reply.pk])
    for user, status in ((ann, 200), (olivia, 200), (alice, 403)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status
        assert (REPLY_TEXT in response.content.decode()) is (status == 200)


def test_a_removed_post_cannot_be_edited_or_reacted_to_and_removing_twice_is_harmless(ann, olivia, reply):
    from django.core.exceptions import ValidationError

    services.post_remove(by=ann, post=reply)
    services.post_remove(by=olivia, post=reply)
    reply.refresh_from_db()
    assert reply.removed_by == ann and reply.thread.post_count == 1
    with pytest.raises(ValidationError):
        services.post_edit(by=ann, post=reply, body="Back again")
    with pytest.raises(ValidationError):
        services.reaction_toggle(by=olivia, post=reply, emoji="+1")


def test_removing_the_accepted_answer_takes_the_mark_back(alice, olivia, reply, private_thread):
    services.thread_accept_answer(by=alice, thread=private_thread, post=reply)
    services.post_remove(by=olivia, post=reply)
    private_thread.refresh_from_db()
    assert private_thread.accepted_post is None


def test_removing_the_opening_post_closes_and_locks_the_thread(
    client, alice, ann, olivia, reply, private_thread
):
    opening = private_thread.posts.get(is_opening=True)
    assert ("community.thread", private_thread.title) in found(ann, "curve")
    services.post_remove(by=alice, post=opening)
    thread = Thread.objects.get(pk=private_thread.pk)
    assert thread.closed_at is not None and thread.is_locked and thread.post_count == 1
    assert found(ann, "curve") == set()  # the opening text is gone from the thread's entry
    assert thread.history.first().history_user == alice
    client.force_login(ann)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "this opening post was removed" in page and REPLY_TEXT in page  # the replies stay readable
    with pytest.raises(PermissionDenied):
        services.post_create(by=ann, thread=thread, body="Still there?")
    services.post_create(by=olivia, thread=thread, body="Closed: the question was withdrawn.")


def test_the_api_removes_with_delete(alice, ann, reply):
    api = APIClient()
    api.force_authenticate(alice)
    assert api.delete(f"/api/v1/posts/{reply.pk}/").status_code == 403
    api.force_authenticate(ann)
    assert api.delete(f"/api/v1/posts/{reply.pk}/").status_code == 204
    assert Post.objects.get(pk=reply.pk).removed_at is not None
    listing = api.get(f"/api/v1/posts/?thread={reply.thread_id}").json()
    assert [row["body"] for row in listing["results"]][1] == ""


def test_the_page_asks_before_removing_and_htmx_reloads_the_thread(client, ann, reply, private_thread):
    client.force_login(ann)
    page = client.get(private_thread.get_absolute_url()).content.decode()
    assert 'hx-confirm="Remove this post?' in page
    response = client.post(reverse("community:post_remove", args=[reply.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/community/t/{private_thread.pk}/#post-{reply.pk}"

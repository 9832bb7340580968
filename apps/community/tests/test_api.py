"""The discussions API: threads, posts, reactions and follows, through `restrict` and the services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.community import services
from apps.community.models import Follow, Post, Thread

pytestmark = pytest.mark.django_db


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_starting_a_thread_on_an_asset_and_listing_it_by_asset(alice, bob, private_dataset):
    api = api_for(alice)
    key = f"catalog.dataset:{private_dataset.pk}"
    created = api.post(
        "/api/v1/threads/",
        {"title": "Null merchants?", "body": "Why **null**?", "kind": "question", "asset": key},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["asset"] == key and body["asset_name"] == "Card transactions" and body["author"] == "alice"
    assert "body" not in body  # write only; the text is the opening post
    listing = api.get("/api/v1/threads/", {"asset": key}).json()
    assert [row["title"] for row in listing["results"]] == ["Null merchants?"]
    assert api_for(bob).get("/api/v1/threads/", {"asset": key}).json()["count"] == 0
    assert api_for(bob).get(f"/api/v1/threads/{body['id']}/").status_code == 404


def test_a_thread_needs_exactly_one_place_and_hidden_places_are_unknown(
    alice, bob, private_dataset, fraud_category
):
    api = api_for(bob)
    neither = api.post("/api/v1/threads/", {"title": "x", "body": "y"})
    assert neither.status_code == 400 and "non_field_errors" in neither.json()["fields"]
    hidden = api.post(
        "/api/v1/threads/", {"title": "x", "body": "y", "asset": f"catalog.dataset:{private_dataset.pk}"}
    )
    missing = api.post("/api/v1/threads/", {"title": "x", "body": "y", "asset": "catalog.dataset:999999"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["fields"] == missing.json()["fields"] == {"asset": ["No such asset."]}
    in_hidden_category = api.post(
        "/api/v1/threads/", {"title": "x", "body": "y", "category": fraud_category.slug}
    )
    in_missing_category = api.post("/api/v1/threads/", {"title": "x", "body": "y", "category": "nope"})
    assert (
        in_hidden_category.json()["fields"].keys()
        == in_missing_category.json()["fields"].keys()
        == {"category"}
    )


def test_posts_reply_edit_react_and_the_caller_sees_body_html(alice, ann, bob, private_thread):
    api = api_for(ann)
    opening = Post.objects.get(thread=private_thread, is_opening=True)
    reply = api.post(
        "/api/v1/posts/",
        {"thread": private_thread.pk, "body": "See #card-transactions", "reply_to": opening.pk},
    )
    assert reply.status_code == 201, reply.json()
    post = reply.json()
    assert 'class="asset-ref"' in post["body_html"] and post["reply_to"] == opening.pk
    edited = api.patch(f"/api/v1/posts/{post['id']}/", {"body": "See #card-transactions, column `amount`"})
    assert edited.status_code == 200 and edited.json()["edited_at"]
    assert api_for(alice).patch(f"/api/v1/posts/{post['id']}/", {"body": "mine now"}).status_code == 403
    reacted = api_for(alice).post(f"/api/v1/posts/{post['id']}/react/", {"emoji": "+1"}).json()
    assert reacted == {
        "emoji": "+1",
        "reacted": True,
        "reactions": [{"emoji": "+1", "count": 1, "mine": True}],
    }
    assert api.post(f"/api/v1/posts/{post['id']}/react/", {"emoji": "shrug"}).status_code == 400
    listing = api.get("/api/v1/posts/", {"thread": private_thread.pk}).json()
    assert [row["is_opening"] for row in listing["results"]] == [True, False]
    assert listing["results"][1]["reactions"] == [{"emoji": "+1", "count": 1, "mine": False}]
    assert api_for(bob).post("/api/v1/posts/", {"thread": private_thread.pk, "body": "hi"}).status_code == 400
    assert api_for(bob).get(f"/api/v1/posts/{post['id']}/").status_code == 404


def test_accepting_an_answer_and_moderating(alice, olivia, ann, private_thread):
    answer = services.post_create(by=ann, thread=private_thread, body="Payroll.")
    url = f"/api/v1/threads/{private_thread.pk}/"
    assert api_for(ann).post(f"{url}accept/", {"post": answer.pk}).status_code == 403
    accepted = api_for(alice).post(f"{url}accept/", {"post": answer.pk}, format="json")
    assert accepted.status_code == 200 and accepted.json()["accepted_post"] == answer.pk
    assert api_for(alice).post(f"{url}accept/", {"post": 999999}).status_code == 400
    assert api_for(alice).post(f"{url}moderate/", {"locked": True}).status_code == 403
    moderated = (
        api_for(olivia).post(f"{url}moderate/", {"locked": True, "pinned": True}, format="json").json()
    )
    assert moderated["is_locked"] and moderated["is_pinned"]
    locked = api_for(alice).post("/api/v1/posts/", {"thread": private_thread.pk, "body": "more"})
    assert locked.status_code == 403


def test_retitling_a_thread(alice, bob, internal_thread):
    url = f"/api/v1/threads/{internal_thread.pk}/"
    assert api_for(bob).patch(url, {"title": "Mine"}).status_code == 403
    changed = api_for(alice).patch(url, {"title": "Merchant list: refreshed daily?", "kind": "question"})
    assert changed.status_code == 200 and changed.json()["title"] == "Merchant list: refreshed daily?"
    assert api_for(alice).put(url, {"title": "x"}).status_code == 405
    assert api_for(alice).delete(url).status_code == 405


def test_posting_too_fast_is_a_429_with_the_wait(alice, internal_thread, settings):
    settings.COMMUNITY_POST_RATE_LIMITS = "1/minute"
    api = api_for(alice)
    # the thread fixture used this minute's one post
    refused = api.post("/api/v1/posts/", {"thread": internal_thread.pk, "body": "again"})
    assert refused.status_code == 429
    assert refused.json()["error"] == "throttled" and refused.json()["wait"] >= 1
    assert "posting too fast" in refused.json()["detail"]
    assert int(refused["Retry-After"]) >= 1


def test_follows_over_the_api(alice, bob, private_dataset, internal_dataset, fraud_team):
    api = api_for(bob)
    created = api.post("/api/v1/follows/", {"target": f"catalog.dataset:{internal_dataset.pk}"})
    assert created.status_code == 201
    assert created.json()["target"] == f"catalog.dataset:{internal_dataset.pk}"
    assert created.json()["target_name"] == "Merchant list"
    again = api.post("/api/v1/follows/", {"target": f"catalog.dataset:{internal_dataset.pk}"})
    assert again.json()["id"] == created.json()["id"]  # idempotent
    api.post("/api/v1/follows/", {"target": f"teams.team:{fraud_team.pk}"})
    hidden = api.post("/api/v1/follows/", {"target": f"catalog.dataset:{private_dataset.pk}"})
    assert hidden.status_code == 400
    listing = api.get("/api/v1/follows/").json()
    assert {row["target_type"] for row in listing["results"]} == {"Dataset", "Team"}
    assert api.get("/api/v1/follows/", {"target_type": "teams.team"}).json()["count"] == 1
    alices = services.follow_create(user=alice, target=private_dataset)
    assert api.delete(f"/api/v1/follows/{alices.pk}/").status_code == 404
    assert api.delete(f"/api/v1/follows/{created.json()['id']}/").status_code == 204
    assert Follow.objects.filter(user=bob).count() == 1


def test_lists_run_a_fixed_number_of_queries(alice, olivia, private_dataset, internal_dataset):
    api = api_for(alice)

    def make(n):
        for i in range(n):
            thread = services.thread_create(
                by=alice,
                title=f"T{i}",
                body=f"@olivia #merchant-list {i}",
                asset=private_dataset,
                rate_limited=False,
            )
            reply = services.post_create(
                by=olivia, thread=thread, body="#card-transactions", rate_limited=False
            )
            services.reaction_toggle(by=alice, post=reply, emoji="heart")
        services.follow_create(user=alice, target=internal_dataset)

    make(1)
    urls = ["/api/v1/threads/", "/api/v1/posts/", "/api/v1/follows/", "/api/v1/categories/"]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        counts[url] = len(queries)
    make(6)
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            api.get(url)
        assert len(queries) == counts[url], url
    assert api.get("/api/v1/posts/").json()["count"] == 14
    assert Thread.objects.count() == 7

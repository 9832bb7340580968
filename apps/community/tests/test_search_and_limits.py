"""Search finds threads and posts for those who may see them; posting is rate-limited per person."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.catalog.services import dataset_update
from apps.community import services
from apps.community.services import ratelimit
from apps.search.selectors import SearchFilters, search_ranked

pytestmark = pytest.mark.django_db


def found(user, text):
    return {
        (doc.asset_type, doc.title) for doc in search_ranked(user=user, text=text, filters=SearchFilters())
    }


# --- search -------------------------------------------------------------------------------------
def test_threads_and_replies_are_found_by_those_who_see_their_asset(alice, ann, bob, private_thread):
    services.post_create(by=ann, thread=private_thread, body="Payroll lands on Mondays, spending follows.")
    assert found(alice, "chargebacks") == {
        ("community.thread", private_thread.title),
        ("community.post", f"Re: {private_thread.title}"),  # a reply is titled after its thread
    }
    assert found(alice, "payroll") == {("community.post", f"Re: {private_thread.title}")}
    assert found(bob, "chargebacks") == set()
    assert found(bob, "payroll") == set()


def test_search_follows_the_asset_when_its_visibility_changes(alice, bob, private_dataset, private_thread):
    services.post_create(by=alice, thread=private_thread, body="Payroll lands on Mondays.")
    dataset_update(dataset=private_dataset, by=alice, visibility="internal")
    assert found(bob, "payroll") == {("community.post", f"Re: {private_thread.title}")}
    dataset_update(dataset=private_dataset, by=alice, visibility="private")
    assert found(bob, "payroll") == set()


def test_search_follows_grants_on_the_asset(alice, bob, platform_team, private_dataset, private_thread):
    from guardian.shortcuts import assign_perm

    assign_perm("catalog.view_dataset", platform_team.group, private_dataset)
    assert found(bob, "chargebacks") == {("community.thread", private_thread.title)}


def test_category_threads_are_searchable_by_those_who_see_the_category(
    alice, bob, fraud_category, org_category
):
    services.thread_create(
        by=alice, title="Quarter close runbook", body="Steps for the close", category=fraud_category
    )
    services.thread_create(by=bob, title="Quarter planning", body="Ideas welcome", category=org_category)
    assert found(alice, "quarter") == {
        ("community.thread", "Quarter close runbook"),
        ("community.thread", "Quarter planning"),
    }
    assert found(bob, "quarter") == {("community.thread", "Quarter planning")}


def test_an_edit_of_the_opening_post_reindexes_its_thread(alice, private_thread):
    from apps.community.models import Post

    opening = Post.objects.get(thread=private_thread, is_opening=True)
    services.post_edit(by=alice, post=opening, body="Spikes every Monday in the EU issuers only.")
    assert found(alice, "issuers") == {("community.thread", private_thread.title)}


# --- rate limits --------------------------------------------------------------------------------
def test_posting_is_limited_per_person_and_window(alice, ann, internal_thread, settings, monkeypatch):
    settings.COMMUNITY_POST_RATE_LIMITS = "3/minute,5/day"
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock["now"])
    for n in range(3):
        services.post_create(by=alice, thread=internal_thread, body=f"post {n}")
    with pytest.raises(services.RateLimited) as refused:
        services.post_create(by=alice, thread=internal_thread, body="one too many")
    assert "at most 3 posts a minute" in str(refused.value)
    assert 1 <= refused.value.retry_after <= 60
    services.post_create(by=ann, thread=internal_thread, body="others are not slowed down")
    clock["now"] += 60
    services.post_create(by=alice, thread=internal_thread, body="a new minute")
    services.post_create(by=alice, thread=internal_thread, body="the day's fifth")
    with pytest.raises(services.RateLimited) as refused:
        services.post_create(by=alice, thread=internal_thread, body="one too many today")
    assert "at most 5 posts a day" in str(refused.value)
    assert ratelimit.post_rate_limit_remaining(user=alice) == 0


def test_a_refused_post_uses_up_nothing(alice, internal_thread, settings, monkeypatch):
    settings.COMMUNITY_POST_RATE_LIMITS = "1/minute,2/day"
    clock = {"now": 2_000_000.0}
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock["now"])
    services.post_create(by=alice, thread=internal_thread, body="one")
    for _ in range(3):
        with pytest.raises(services.RateLimited):
            services.post_create(by=alice, thread=internal_thread, body="refused by the minute")
    clock["now"] += 60
    services.post_create(by=alice, thread=internal_thread, body="two: the refused ones did not count")
    clock["now"] += 60
    with pytest.raises(services.RateLimited):
        services.post_create(by=alice, thread=internal_thread, body="refused by the day")


def test_limits_are_parsed_and_bad_values_fail_loudly():
    assert ratelimit.parse_limits("10/minute, 100/day") == [
        ratelimit.RateLimit(10, 60),
        ratelimit.RateLimit(100, 86400),
    ]
    assert ratelimit.parse_limits("5/s,2/hours") == [ratelimit.RateLimit(5, 1), ratelimit.RateLimit(2, 3600)]
    assert ratelimit.parse_limits("") == []
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_limits("ten per minute")

"""The activity feed: history of every asset plus community events, restricted, filterable, paginated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from apps.catalog.services import dataset_delete, dataset_update
from apps.community.selectors.activity import ActivityFilters, ActivityScope, activity_feed
from apps.community.services import ideas as idea_services

pytestmark = pytest.mark.django_db


def lines(user, *, scope=None, **filters) -> list[tuple[str, str, str]]:
    feed = activity_feed(user=user, scope=scope, filters=ActivityFilters(**filters))
    return [(item.who, item.verb, item.name) for item in feed[:200]]


def names(user, **kwargs) -> set[str]:
    return {name for _, _, name in lines(user, **kwargs)}


@pytest.fixture
def ideas(fraud_team, alice, olivia, bob, private_dataset, internal_dataset):
    """An internal idea (bob voted, olivia accepted it) and a private one, both linked to datasets."""
    public = idea_services.idea_create(team=fraud_team, by=alice, title="Merchant categories")
    idea_services.idea_vote(idea=public, by=bob)
    idea_services.idea_link_add(idea=public, by=alice, target=internal_dataset)
    idea_services.idea_link_add(idea=public, by=alice, target=private_dataset)
    idea_services.idea_transition(idea=public, by=olivia, to_status="accepted", reason="Yes")
    secret = idea_services.idea_create(team=fraud_team, by=alice, title="Mule rings", visibility="private")
    return public, secret


def test_an_outsider_never_sees_private_work_even_as_a_link(
    ideas, alice, bob, private_dataset, internal_dataset
):
    seen = lines(bob)
    assert ("alice", "created", "Merchant list") in seen
    assert ("bob", "voted for", "Merchant categories") in seen
    assert ("olivia", "moved", "Merchant categories") in seen
    everything = repr(activity_feed(user=bob)[:200])
    assert "Card transactions" not in everything
    assert "Mule rings" not in everything
    link_details = [item.detail for item in activity_feed(user=bob)[:200] if item.verb == "linked"]
    assert link_details == ["to dataset Merchant list"]


def test_the_owning_team_sees_its_private_work(ideas, alice):
    seen = lines(alice)
    assert ("alice", "created", "Card transactions") in seen
    assert ("alice", "created", "Mule rings") in seen
    details = {item.detail for item in activity_feed(user=alice)[:200] if item.verb == "linked"}
    assert details == {"to dataset Merchant list", "to dataset Card transactions"}


def test_a_status_change_is_one_line_with_its_reason_not_also_an_edit(ideas, alice):
    feed = [item for item in activity_feed(user=alice)[:200] if item.name == "Merchant categories"]
    assert [item.verb for item in feed if item.who == "olivia"] == ["moved"]
    moved = next(item for item in feed if item.verb == "moved")
    assert moved.detail == "Proposed → Accepted: Yes"


def test_a_team_feed_holds_the_teams_assets_members_and_ideas_only(
    ideas, fraud_team, platform_team, alice, bob, root
):
    from apps.catalog.services import dataset_create

    dataset_create(team=platform_team, by=bob, name="Warehouse events", visibility="internal")
    fraud = names(alice, scope=ActivityScope(team_ids=(fraud_team.pk,)))
    assert {"Merchant categories", "Card transactions", "Fraud Analytics", "alice"} <= fraud
    assert "Warehouse events" not in fraud and "Data Platform" not in fraud
    assert "Warehouse events" in names(alice, scope=ActivityScope(team_ids=(platform_team.pk,)))


def test_deleting_a_private_dataset_is_seen_by_its_team_only(fraud_team, alice, bob, private_dataset):
    dataset_delete(dataset=private_dataset, by=alice)
    assert ("alice", "deleted", "Card transactions") in lines(alice)
    deleted = next(item for item in activity_feed(user=alice)[:50] if item.verb == "deleted")
    assert deleted.url == ""  # nothing to open any more
    assert "Card transactions" not in names(bob)


def test_filters_by_kind_asset_type_person_and_dates(ideas, alice, bob, internal_dataset):
    dataset_update(dataset=internal_dataset, by=alice, domain="payments")
    assert {verb for _, verb, _ in lines(alice, kinds=("vote",))} == {"voted for"}
    assert lines(alice, kinds=("status",)) == [("olivia", "moved", "Merchant categories")]
    assert {verb for _, verb, _ in lines(alice, kinds=("changed",))} == {"changed"}
    assert ("alice", "changed", "Merchant list") in lines(alice, kinds=("changed",))
    assert {verb for _, verb, _ in lines(alice, kinds=("link",))} == {"linked"}
    assert {who for who, _, _ in lines(alice, person="bob")} == {"bob"}
    assert names(alice, asset_type="catalog.dataset") == {"Card transactions", "Merchant list"}
    assert "Merchant list" not in names(alice, asset_type="community.idea")
    today = timezone.now().date()
    assert lines(alice, since=today + timedelta(days=1)) == []
    assert lines(alice, until=today - timedelta(days=1)) == []
    assert len(lines(alice, since=today, until=today)) == len(lines(alice))
    assert {verb for _, verb, _ in lines(alice, kinds=("vote", "status"))} == {"voted for", "moved"}


@pytest.mark.parametrize("page_size", [3, 40])
def test_a_page_costs_two_queries_whatever_its_size(ideas, alice, page_size, django_assert_num_queries):
    feed = activity_feed(user=alice)
    with django_assert_num_queries(2):  # the count, then the page's lines with their names
        page = Paginator(feed, page_size).get_page(1)
        rows = list(page.object_list)
    assert len(rows) == min(page_size, page.paginator.count)


def test_pages_follow_each_other_without_gaps(ideas, alice):
    feed = activity_feed(user=alice)
    whole = [(item.when, item.verb, item.name) for item in feed[:500]]
    paged = []
    paginator = Paginator(activity_feed(user=alice), 4)
    for number in paginator.page_range:
        paged += [(item.when, item.verb, item.name) for item in paginator.page(number).object_list]
    assert paged == whole
    assert [line[0] for line in whole] == sorted((line[0] for line in whole), reverse=True)


# --- pages -----------------------------------------------------------------------------------------
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_team_page_shows_the_feed_and_links_to_its_filtered_page(client, ideas, fraud_team, bob):
    response = signed_in(client, bob).get(
        reverse("teams:team_detail", args=[fraud_team.slug]), {"tab": "activity"}
    )
    body = response.content.decode()
    assert "voted for" in body and "Merchant categories" in body
    assert "Card transactions" not in body and "Mule rings" not in body
    assert f"{reverse('community:activity')}?team={fraud_team.slug}" in body


def test_the_activity_page_filters_and_paginates(
    client, ideas, fraud_team, alice, django_assert_max_num_queries
):
    web = signed_in(client, alice)
    response = web.get(reverse("community:activity"), {"team": fraud_team.slug, "kind": ["vote", "status"]})
    assert response.status_code == 200
    verbs = {item.verb for item in response.context["activity"]}
    assert verbs == {"voted for", "moved"}
    garbage = web.get(reverse("community:activity"), {"since": "not a date", "kind": "nonsense", "page": "x"})
    assert garbage.status_code == 200  # invalid filters are ignored, never a 500


def test_the_dataset_activity_tab_has_the_dataset_header_and_the_ideas_linked_to_it(
    client, ideas, alice, bob, private_dataset, internal_dataset
):
    url = reverse("community:asset_activity", args=["catalog.dataset", internal_dataset.pk])
    body = signed_in(client, bob).get(url).content.decode()
    assert internal_dataset.name in body and 'class="nav-link active"' in body
    assert "linked" in body and "Merchant categories" in body
    assert reverse("community:asset_activity", args=["catalog.dataset", internal_dataset.pk]) in body
    hidden = client.get(reverse("community:asset_activity", args=["catalog.dataset", private_dataset.pk]))
    assert hidden.status_code == 404


def test_the_idea_activity_tab_lists_votes_and_steps(client, ideas, bob):
    public, _ = ideas
    response = signed_in(client, bob).get(
        reverse("community:asset_activity", args=["community.idea", public.pk])
    )
    verbs = [item.verb for item in response.context["activity"]]
    assert {"created", "voted for", "moved", "linked"} <= set(verbs)
    assert "Card transactions" not in response.content.decode()


def test_an_unknown_asset_type_is_a_404(client, alice):
    web = signed_in(client, alice)
    assert web.get(reverse("community:asset_activity", args=["auth.user", alice.pk])).status_code == 404
    assert web.get(reverse("community:asset_activity", args=["catalog.nothing", 1])).status_code == 404


# --- API -------------------------------------------------------------------------------------------
def test_the_api_feed_filters_and_validates(client, ideas, fraud_team, bob):
    web = signed_in(client, bob)
    response = web.get(reverse("activity-list"), {"team": fraud_team.slug, "kind": "vote,status"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["verb"] for row in rows} == {"voted for", "moved"}
    assert rows[0]["url"].startswith("/community/ideas/")
    bad = web.get(reverse("activity-list"), {"kind": "gossip", "since": "2026-02-30", "team": "nope"})
    assert bad.status_code == 400 and {"kind", "since", "team"} <= set(bad.json()["fields"])


def test_the_api_asset_feed_is_a_404_for_what_you_cannot_see(
    client, ideas, bob, private_dataset, internal_dataset
):
    web = signed_in(client, bob)
    assert web.get(reverse("asset-activity", args=["catalog.dataset", private_dataset.pk])).status_code == 404
    rows = web.get(reverse("asset-activity", args=["catalog.dataset", internal_dataset.pk])).json()["results"]
    assert ("alice", "created") in {(row["actor"], row["verb"]) for row in rows}


# --- discussions -------------------------------------------------------------------------------------
def test_posts_show_where_their_thread_is_visible(private_thread, internal_thread, alice, bob, fraud_team):
    from apps.community.services import post_create

    post_create(by=bob, thread=internal_thread, body="Nightly, at 02:00.")
    seen_by_bob = lines(bob, kinds=("post",))
    assert ("alice", "started the discussion", "Merchant list refresh cadence") in seen_by_bob
    assert ("bob", "replied in", "Merchant list refresh cadence") in seen_by_bob
    assert "Why do chargebacks spike on Mondays?" not in names(bob)
    assert "Why do chargebacks spike on Mondays?" in names(alice, kinds=("post",))
    team = ActivityScope(team_ids=(fraud_team.pk,))
    assert "Merchant list refresh cadence" in names(bob, scope=team, kinds=("post",))
    reply = next(i for i in activity_feed(user=bob)[:50] if i.verb == "replied in")
    assert reply.url.startswith(internal_thread.get_absolute_url() + "#post-")


def test_an_assets_activity_has_its_discussions_and_the_type_filter_keeps_them(
    internal_thread, internal_dataset, private_dataset, alice, bob
):
    on_dataset = names(bob, scope=ActivityScope(asset=internal_dataset), kinds=("post",))
    assert on_dataset == {"Merchant list refresh cadence"}
    assert "Merchant list refresh cadence" in names(bob, asset_type="catalog.dataset")
    assert "Merchant list refresh cadence" not in names(bob, asset_type="community.idea")

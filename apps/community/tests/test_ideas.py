"""The idea board: proposing, voting, the status workflow, links to assets, ranking, pages and API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.community.models import Idea, IdeaStatusChange, IdeaVote, Notification
from apps.community.selectors import ideas as selectors
from apps.community.services import ideas as services
from apps.core.history import acting_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(fraud_team, alice):
    return services.idea_create(team=fraud_team, by=alice, title="Add merchant category codes")


@pytest.fixture
def private_idea(fraud_team, alice):
    return services.idea_create(
        team=fraud_team, by=alice, title="Score mule rings", visibility="private", description="Falcon"
    )


def signed_in(client, user):
    client.force_login(user)
    return client


# --- proposing ------------------------------------------------------------------------------------
def test_the_author_votes_for_their_own_idea_and_the_teams_data_officers_hear_of_it(olivia, idea, alice):
    assert idea.vote_count == 1
    assert IdeaVote.objects.filter(idea=idea, user=alice).exists()
    assert idea.history.first().history_user == alice
    told = Notification.objects.get(event=services.EVENT_PROPOSED)
    assert told.recipient == olivia
    assert "Add merchant category codes" in told.message


def test_anyone_may_propose_an_internal_idea_to_another_team(fraud_team, bob):
    idea = services.idea_create(team=fraud_team, by=bob, title="Share the merchant list with us")
    assert idea.team == fraud_team and idea.visibility == "internal" and idea.author == bob


def test_only_members_may_propose_a_private_idea_to_a_team(fraud_team, bob, ann):
    with pytest.raises(ValidationError) as refused:
        services.idea_create(team=fraud_team, by=bob, title="Sneaky", visibility="private")
    assert "visibility" in refused.value.message_dict
    with pytest.raises(ValidationError):  # an analyst may not add assets either
        services.idea_create(team=fraud_team, by=ann, title="Mine", visibility="private")
    assert not Idea.objects.exists()


def test_a_blank_title_is_a_field_error(fraud_team, alice):
    with pytest.raises(ValidationError) as refused:
        services.idea_create(team=fraud_team, by=alice, title="   ")
    assert "title" in refused.value.message_dict


def test_an_outside_author_may_edit_the_text_but_not_hide_the_idea(fraud_team, bob):
    idea = services.idea_create(team=fraud_team, by=bob, title="Share the merchant list")
    services.idea_update(idea=idea, by=bob, description="Daily, please.")
    assert Idea.objects.get(pk=idea.pk).description == "Daily, please."
    with pytest.raises(ValidationError) as refused:
        services.idea_update(idea=idea, by=bob, visibility="private")
    assert "visibility" in refused.value.message_dict


def test_someone_else_may_not_edit_an_idea(idea, bob):
    with pytest.raises(PermissionDenied):
        services.idea_update(idea=idea, by=bob, title="Mine now")


# --- votes ----------------------------------------------------------------------------------------
def test_one_vote_per_person_toggled_and_recorded_in_history(idea, bob):
    assert services.idea_vote_toggle(idea=idea, by=bob) is True
    services.idea_vote(idea=idea, by=bob)  # voting twice counts once
    assert Idea.objects.get(pk=idea.pk).vote_count == 2
    assert services.idea_vote_toggle(idea=idea, by=bob) is False
    assert Idea.objects.get(pk=idea.pk).vote_count == 1
    kinds = list(
        IdeaVote.history.filter(user_id=bob.pk).order_by("history_id").values_list("history_type", flat=True)
    )
    assert kinds == ["+", "-"]


def test_nobody_votes_for_an_idea_they_cannot_see(private_idea, bob):
    with pytest.raises(PermissionDenied):
        services.idea_vote(idea=private_idea, by=bob)
    assert Idea.objects.get(pk=private_idea.pk).vote_count == 1


def test_voting_closes_when_the_idea_is_done_or_declined(idea, olivia, bob):
    services.idea_transition(idea=idea, by=olivia, to_status="declined", reason="Out of scope this year.")
    with pytest.raises(ValidationError):
        services.idea_vote(idea=Idea.objects.get(pk=idea.pk), by=bob)


# --- the workflow ---------------------------------------------------------------------------------
def test_a_data_officer_moves_the_idea_and_author_and_voters_are_told(idea, olivia, bob, ann):
    services.idea_vote(idea=idea, by=bob)
    services.idea_vote(idea=idea, by=ann)
    Notification.objects.all().delete()

    change = services.idea_transition(idea=idea, by=olivia, to_status="under_review", reason="Looking at it")

    idea.refresh_from_db()
    assert (idea.status, idea.status_reason) == ("under_review", "Looking at it")
    assert (change.from_status, change.to_status, change.changed_by) == ("proposed", "under_review", olivia)
    record = idea.history.first()
    assert record.history_user == olivia and record.status == "under_review"
    told = Notification.objects.filter(event=services.EVENT_STATUS_CHANGED)
    assert sorted(n.recipient.username for n in told) == ["alice", "ann", "bob"]
    assert all("under review" in n.message for n in told)


def test_voters_who_can_no_longer_see_the_idea_are_not_told(idea, alice, olivia, bob):
    services.idea_vote(idea=idea, by=bob)
    services.idea_update(idea=idea, by=alice, visibility="private")
    Notification.objects.all().delete()
    services.idea_transition(idea=idea, by=olivia, to_status="accepted")
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["alice"]


def test_only_the_owning_teams_data_officers_manage_the_workflow(idea, alice, bob, root):
    for user in (alice, bob):
        with pytest.raises(PermissionDenied):
            services.idea_transition(idea=idea, by=user, to_status="accepted")
    services.idea_transition(idea=idea, by=root, to_status="accepted")  # superusers may
    assert Idea.objects.get(pk=idea.pk).status == "accepted"


@pytest.mark.parametrize(
    ("path", "target", "field"),
    [
        ((), "done", "status"),  # proposed → done skips the work
        ((), "proposed", "status"),  # already there
        ((), "shipped", "status"),  # not a status
        ((), "declined", "reason"),  # declining needs a reason
        (("declined",), "accepted", "status"),  # a declined idea is reconsidered first
    ],
)
def test_transitions_are_validated_with_field_errors(idea, olivia, path, target, field):
    for step in path:
        services.idea_transition(idea=idea, by=olivia, to_status=step, reason="Because.")
    before = IdeaStatusChange.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.idea_transition(idea=idea, by=olivia, to_status=target, reason="")
    assert field in refused.value.message_dict
    assert IdeaStatusChange.objects.count() == before


def test_the_whole_workflow_is_recorded_in_order(idea, olivia):
    for status in ("under_review", "accepted", "in_progress", "done"):
        services.idea_transition(idea=idea, by=olivia, to_status=status)
    steps = [(c.from_status, c.to_status) for c in selectors.idea_status_changes(idea=idea)]
    assert steps == [
        ("proposed", "under_review"),
        ("under_review", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "done"),
    ]


# --- ranking --------------------------------------------------------------------------------------
def test_hot_weighs_votes_against_age_one_decade_of_votes_per_week():
    now = services.HOT_EPOCH + timedelta(days=100)
    fresh = services.idea_hot_score(votes=0, created_at=now)
    week_old_ten_times_the_votes = services.idea_hot_score(votes=9, created_at=now - timedelta(days=7))
    assert week_old_ten_times_the_votes == pytest.approx(fresh)
    assert services.idea_hot_score(votes=5, created_at=now) > fresh


def test_the_board_sorts_hot_top_and_new(fraud_team, alice, bob, ann, olivia):
    old_popular = services.idea_create(team=fraud_team, by=alice, title="Old and popular")
    Idea.objects.filter(pk=old_popular.pk).update(created_at=old_popular.created_at - timedelta(days=30))
    old_popular.refresh_from_db()
    for voter in (bob, ann, olivia):
        services.idea_vote(idea=old_popular, by=voter)
    middle = services.idea_create(team=fraud_team, by=alice, title="Middle")
    services.idea_vote(idea=middle, by=bob)
    new = services.idea_create(team=fraud_team, by=alice, title="Brand new")

    def titles(sort):
        return [i.title for i in selectors.idea_list(user=bob, sort=sort)]

    assert titles("top") == ["Old and popular", "Middle", "Brand new"]
    assert titles("new") == ["Brand new", "Middle", "Old and popular"]
    assert titles("hot") == ["Middle", "Brand new", "Old and popular"]
    services.idea_vote(idea=new, by=bob)
    services.idea_vote(idea=new, by=ann)
    assert titles("hot")[0] == "Brand new"
    assert new.pk not in [i.pk for i in selectors.idea_list(user=bob, status="declined")]


def test_the_board_filters_by_status_team_text_and_linked_asset_type(
    fraud_team, platform_team, alice, bob, olivia, internal_dataset
):
    linked = services.idea_create(team=fraud_team, by=alice, title="Merchant categories")
    services.idea_link_add(idea=linked, by=alice, target=internal_dataset)
    services.idea_transition(idea=linked, by=olivia, to_status="accepted")
    services.idea_create(team=platform_team, by=bob, title="Faster ingestion")

    def titles(**filters):
        return {i.title for i in selectors.idea_list(user=bob, **filters)}

    assert titles(status="accepted") == {"Merchant categories"}
    assert titles(status="open") == {"Merchant categories", "Faster ingestion"}
    assert titles(status="closed") == set()
    assert titles(team=platform_team) == {"Faster ingestion"}
    assert titles(text="ingest") == {"Faster ingestion"}
    assert titles(asset_type="catalog.dataset") == {"Merchant categories"}
    assert titles(asset=internal_dataset) == {"Merchant categories"}
    assert selectors.idea_status_counts(user=bob)["accepted"] == 1


# --- links ----------------------------------------------------------------------------------------
def test_a_link_to_a_private_dataset_is_invisible_to_outsiders_and_so_is_the_filter(
    idea, alice, bob, private_dataset
):
    services.idea_link_add(idea=idea, by=alice, target=private_dataset)
    assert [linked.asset for linked in selectors.idea_links(user=alice, idea=idea)] == [private_dataset]
    assert selectors.idea_links(user=bob, idea=idea) == []
    # Filtering the board on "linked to a dataset" must not reveal that a hidden link exists.
    assert not selectors.idea_list(user=bob, asset_type="catalog.dataset").exists()
    assert selectors.idea_list(user=alice, asset_type="catalog.dataset").get() == idea


def test_links_need_an_editor_who_can_see_the_asset(fraud_team, idea, bob, alice, private_dataset):
    with pytest.raises(PermissionDenied):
        services.idea_link_add(idea=idea, by=bob, target=private_dataset)
    own = services.idea_create(team=fraud_team, by=bob, title="Bob's idea")
    with pytest.raises(ValidationError) as refused:  # bob cannot see Fraud's private dataset
        services.idea_link_add(idea=own, by=bob, target=private_dataset)
    assert refused.value.message_dict == {"asset": ["No such asset."]}
    link = services.idea_link_add(idea=idea, by=alice, target=private_dataset)
    with pytest.raises(ValidationError):  # twice
        services.idea_link_add(idea=idea, by=alice, target=private_dataset)
    services.idea_link_remove(link=link, by=alice)
    assert not idea.links.exists()


# --- pages ----------------------------------------------------------------------------------------
def test_the_board_runs_a_fixed_number_of_queries(client, fraud_team, alice, bob, django_assert_num_queries):
    web = signed_in(client, bob)
    services.idea_create(team=fraud_team, by=alice, title="First")
    web.get(reverse("community:idea_list"))
    with CaptureQueriesContext(connection) as few:
        web.get(reverse("community:idea_list"))
    for index in range(12):
        made = services.idea_create(team=fraud_team, by=alice, title=f"Idea {index}")
        services.idea_vote(idea=made, by=bob)
    with django_assert_num_queries(len(few)):
        response = web.get(reverse("community:idea_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="list-group-item idea-row"') == 13


def test_the_board_shows_my_votes_and_hides_private_ideas_of_other_teams(client, idea, private_idea, bob):
    services.idea_vote(idea=idea, by=bob)
    body = signed_in(client, bob).get(reverse("community:idea_list")).content.decode()
    assert idea.title in body
    assert private_idea.title not in body
    assert 'aria-pressed="true"' in body


def test_voting_through_htmx_returns_the_button_with_the_new_count(client, idea, bob):
    web = signed_in(client, bob)
    response = web.post(reverse("community:idea_vote", args=[idea.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-pressed="true"' in body and '<span class="vote-count fw-bold">2</span>' in body
    response = web.post(reverse("community:idea_vote", args=[idea.pk]), headers={"HX-Request": "true"})
    assert '<span class="vote-count fw-bold">1</span>' in response.content.decode()


def test_the_idea_page_shows_workflow_controls_to_the_data_officer_only(client, idea, olivia, alice):
    as_officer = signed_in(client, olivia).get(idea.get_absolute_url()).content.decode()
    assert 'id="idea-transition-form"' in as_officer
    client.logout()
    as_author = signed_in(client, alice).get(idea.get_absolute_url()).content.decode()
    assert 'id="idea-transition-form"' not in as_author
    assert reverse("community:idea_edit", args=[idea.pk]) in as_author


def test_declining_without_a_reason_answers_the_form_with_the_error(client, idea, olivia):
    response = signed_in(client, olivia).post(
        reverse("community:idea_transition", args=[idea.pk]), {"status": "declined", "reason": ""}
    )
    assert response.status_code == 400
    assert "Say why the idea is declined" in response.content.decode()
    assert Idea.objects.get(pk=idea.pk).status == "proposed"


def test_declined_ideas_show_their_reason(client, idea, olivia, bob):
    services.idea_transition(idea=idea, by=olivia, to_status="declined", reason="Card data stays in Fraud.")
    body = signed_in(client, bob).get(idea.get_absolute_url()).content.decode()
    assert 'id="idea-declined"' in body and "Card data stays in Fraud." in body


def test_proposing_from_the_form_redirects_to_the_idea(client, fraud_team, bob):
    response = signed_in(client, bob).post(
        reverse("community:idea_create"),
        {
            "team": fraud_team.pk,
            "title": "A daily merchant snapshot",
            "visibility": "internal",
            "description": "",
        },
    )
    idea = Idea.objects.get(title="A daily merchant snapshot")
    assert response.status_code == 302 and response["Location"] == idea.get_absolute_url()


def test_the_form_reports_a_private_idea_in_another_team_on_the_field(client, fraud_team, bob):
    response = signed_in(client, bob).post(
        reverse("community:idea_create"),
        {"team": fraud_team.pk, "title": "Sneaky", "visibility": "private", "description": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["visibility"]


def test_linking_from_the_page_offers_only_visible_assets(
    client, idea, alice, bob, private_dataset, internal_dataset
):
    own = services.idea_create(team=idea.team, by=bob, title="Bob's")
    page = signed_in(client, bob).get(own.get_absolute_url()).content.decode()
    assert internal_dataset.name in page and private_dataset.name not in page
    response = client.post(
        reverse("community:idea_link_add", args=[own.pk]), {"asset": f"catalog.dataset:{private_dataset.pk}"}
    )
    assert response.status_code == 400 and not own.links.exists()
    response = client.post(
        reverse("community:idea_link_add", args=[own.pk]), {"asset": f"catalog.dataset:{internal_dataset.pk}"}
    )
    assert response.status_code == 302 and own.links.get().target_id == internal_dataset.pk


def test_the_idea_history_page_lists_the_status_change(client, idea, olivia):
    services.idea_transition(idea=idea, by=olivia, to_status="accepted", reason="Yes")
    body = signed_in(client, olivia).get(reverse("community:idea_history", args=[idea.pk])).content.decode()
    assert "Status: Proposed → Accepted" in body


# --- API ------------------------------------------------------------------------------------------
@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def post_json(client, url, data=None, method="post"):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def test_the_api_lists_sorts_and_filters_the_board(api, idea, fraud_team, bob, olivia):
    services.idea_create(team=fraud_team, by=bob, title="Another")
    services.idea_transition(idea=idea, by=olivia, to_status="accepted")
    response = api(bob).get(reverse("idea-list"), {"sort": "new"})
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Another", idea.title]
    assert response.json()["results"][0]["has_voted"] is True
    accepted = api(bob).get(reverse("idea-list"), {"status": "accepted"}).json()["results"]
    assert [row["id"] for row in accepted] == [idea.pk]
    bad = api(bob).get(reverse("idea-list"), {"sort": "random", "status": "x"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_the_api_list_runs_a_fixed_number_of_queries(api, fraud_team, alice, bob, django_assert_num_queries):
    web = api(bob)
    services.idea_create(team=fraud_team, by=alice, title="First")
    web.get(reverse("idea-list"))
    with CaptureQueriesContext(connection) as few:
        web.get(reverse("idea-list"))
    for index in range(10):
        services.idea_create(team=fraud_team, by=alice, title=f"Idea {index}")
    with django_assert_num_queries(len(few)):
        assert len(web.get(reverse("idea-list")).json()["results"]) == 11


def test_the_api_proposes_votes_and_moves_an_idea(api, fraud_team, bob, olivia):
    created = post_json(api(bob), reverse("idea-list"), {"team": fraud_team.slug, "title": "Share merchants"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["vote_count"], body["has_voted"], body["author"]) == (1, True, "bob")
    idea_id = body["id"]

    voted = post_json(api(olivia), reverse("idea-vote", args=[idea_id]))
    assert voted.json()["vote_count"] == 2
    refused = post_json(api(bob), reverse("idea-transition", args=[idea_id]), {"status": "accepted"})
    assert refused.status_code == 403
    missing_reason = post_json(
        api(olivia), reverse("idea-transition", args=[idea_id]), {"status": "declined"}
    )
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()["fields"]
    moved = post_json(api(olivia), reverse("idea-transition", args=[idea_id]), {"status": "accepted"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "accepted"
    assert moved.json()["next_statuses"] == ["in_progress", "under_review", "declined"]
    unvoted = api(olivia).delete(reverse("idea-vote", args=[idea_id]))
    assert unvoted.json()["vote_count"] == 1 and unvoted.json()["has_voted"] is False


def test_the_api_lets_the_author_edit_but_not_move_the_idea_to_another_team(api, idea, alice, platform_team):
    response = post_json(
        api(alice), reverse("idea-detail", args=[idea.pk]), {"description": "With MCC."}, method="patch"
    )
    assert response.status_code == 200 and response.json()["description"] == "With MCC."
    moved = post_json(
        api(alice), reverse("idea-detail", args=[idea.pk]), {"team": platform_team.slug}, method="patch"
    )
    assert moved.status_code == 400 and "team" in moved.json()["fields"]


def test_the_api_links_an_asset_and_shows_it_only_to_those_who_see_it(api, idea, alice, bob, private_dataset):
    key = f"catalog.dataset:{private_dataset.pk}"
    linked = post_json(api(alice), reverse("idea-links", args=[idea.pk]), {"asset": key})
    assert linked.status_code == 201 and linked.json()["name"] == private_dataset.name
    assert api(alice).get(reverse("idea-detail", args=[idea.pk])).json()["links"][0]["asset"] == key
    as_bob = api(bob).get(reverse("idea-detail", args=[idea.pk])).json()
    assert as_bob["links"] == []
    assert private_dataset.name not in json.dumps(as_bob)
    link_id = linked.json()["id"]
    assert api(bob).delete(reverse("idea-link", args=[idea.pk, link_id])).status_code == 404
    assert api(alice).delete(reverse("idea-link", args=[idea.pk, link_id])).status_code == 204


def test_history_of_a_vote_is_attributed_even_outside_a_request(idea, bob):
    with acting_user(None):
        services.idea_vote(idea=idea, by=bob)
    assert IdeaVote.history.filter(user_id=bob.pk).get().history_user == bob


def test_the_idea_has_a_discussion_tab_and_a_follow_button(client, idea, bob):
    from apps.community.services import thread_create

    services.idea_vote(idea=idea, by=bob)
    thread_create(by=bob, title="Which merchant codes?", body="ISO 18245 or the acquirer's?", asset=idea)
    web = signed_in(client, bob)
    page = web.get(idea.get_absolute_url()).content.decode()
    assert 'id="discussion-tab"' in page and 'id="discussion-count">1<' in page
    assert "Follow" in page
    tab = web.get(reverse("community:asset_discussions", args=["community.idea", idea.pk]))
    body = tab.content.decode()
    assert tab.status_code == 200 and "Which merchant codes?" in body
    assert 'id="idea-title"' in body and 'aria-pressed="true"' in body  # the idea's own header, bob's vote

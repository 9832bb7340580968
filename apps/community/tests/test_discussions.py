"""Discussions: who sees threads and posts, who may post, answer, moderate and react; edits in history."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Dataset
from apps.catalog.services import dataset_update
from apps.community import selectors, services
from apps.community.models import Follow, Post, Reaction, Thread
from apps.core.history import acting_user
from apps.core.permissions import Action

pytestmark = pytest.mark.django_db


def visible_titles(user):
    return set(Thread.objects.restrict(user).values_list("title", flat=True))


# --- visibility ---------------------------------------------------------------------------------
def test_a_thread_on_an_asset_is_visible_exactly_to_those_who_see_the_asset(
    alice, olivia, ann, bob, root, private_thread, internal_thread
):
    for member in (alice, olivia, ann, root):
        assert visible_titles(member) == {private_thread.title, internal_thread.title}
    assert visible_titles(bob) == {internal_thread.title}
    assert not Post.objects.restrict(bob).filter(thread=private_thread).exists()


def test_granting_the_asset_opens_its_threads_and_making_it_internal_opens_them_to_all(
    alice, bob, platform_team, private_dataset, private_thread
):
    from guardian.shortcuts import assign_perm

    assert private_thread.title not in visible_titles(bob)
    assign_perm("catalog.view_dataset", platform_team.group, private_dataset)
    assert private_thread.title in visible_titles(bob)


def test_making_the_asset_internal_opens_its_threads(alice, bob, private_dataset, private_thread):
    dataset_update(dataset=private_dataset, by=alice, visibility="internal")
    assert private_thread.title in visible_titles(bob)


def test_category_threads_follow_the_category(alice, bob, olivia, org_category, fraud_category):
    everyone = services.thread_create(
        by=bob, title="Where is the data dictionary?", body="?", category=org_category
    )
    team_only = services.thread_create(
        by=alice, title="Stand-up notes", body="Notes", category=fraud_category
    )
    assert visible_titles(bob) == {everyone.title}
    assert visible_titles(olivia) == {everyone.title, team_only.title}
    services.category_update(by=olivia, category=fraud_category, visibility="internal")
    assert team_only.title in visible_titles(bob)


def test_a_thread_on_a_column_or_glossary_term_follows_its_asset(alice, bob, private_dataset, fraud_team):
    from apps.catalog.models import Column, GlossaryTerm

    column = Column.objects.create(dataset=private_dataset, name="amount", position=1)
    with acting_user(alice):
        term = GlossaryTerm.objects.create(
            team=fraud_team, name="Chargeback", slug="chargeback", definition="A dispute"
        )
    on_column = services.thread_create(by=alice, title="Amount is in cents?", body="Is it?", asset=column)
    on_term = services.thread_create(by=alice, title="Define partial chargebacks", body="Please", asset=term)
    assert visible_titles(bob) == {on_term.title}  # terms are internal, the column's dataset is private
    assert on_column.title in visible_titles(alice)


def test_restrict_is_one_query_whatever_the_number_of_threads(alice, bob, private_dataset, internal_dataset):
    for n in range(3):
        services.thread_create(
            by=alice, title=f"Thread {n}", body="x", asset=internal_dataset, rate_limited=False
        )
    with CaptureQueriesContext(connection) as few:
        list(selectors.thread_list(user=bob))
    for n in range(3, 12):
        dataset = private_dataset if n % 2 else internal_dataset
        services.thread_create(by=alice, title=f"Thread {n}", body="x", asset=dataset, rate_limited=False)
    with CaptureQueriesContext(connection) as many:
        rows = list(selectors.thread_list(user=bob))
    assert len(rows) == 7 and len(many) == len(few)


# --- posting ------------------------------------------------------------------------------------
def test_anyone_who_sees_the_asset_may_post_even_read_only_analysts(
    ann, bob, private_thread, internal_thread
):
    post = services.post_create(by=ann, thread=private_thread, body="Payroll lands on Mondays.")
    assert post.thread_id == private_thread.pk
    services.post_create(by=bob, thread=internal_thread, body="Weekly, on Sundays.")
    with pytest.raises(ValidationError):
        services.post_create(by=bob, thread=private_thread, body="Let me in")
    private_thread.refresh_from_db()
    assert private_thread.post_count == 2


def test_nobody_starts_a_thread_on_an_asset_they_cannot_see(bob, private_dataset, fraud_category):
    with pytest.raises(ValidationError) as error:
        services.thread_create(by=bob, title="Hi", body="x", asset=private_dataset)
    assert error.value.message_dict == {"asset": ["No such asset."]}
    with pytest.raises(ValidationError) as error:
        services.thread_create(by=bob, title="Hi", body="x", category=fraud_category)
    assert "category" in error.value.message_dict


def test_empty_or_oversized_input_gets_field_errors(alice, internal_dataset):
    with pytest.raises(ValidationError) as error:
        services.thread_create(by=alice, title="  ", body="", kind="rant", asset=internal_dataset)
    assert set(error.value.message_dict) == {"title", "body", "kind"}
    with pytest.raises(ValidationError) as error:
        services.thread_create(by=alice, title="x" * 201, body="y" * 20_001, asset=internal_dataset)
    assert set(error.value.message_dict) == {"title", "body"}


def test_announcements_are_for_moderators(alice, olivia, internal_dataset):
    with pytest.raises(ValidationError):
        services.thread_create(
            by=alice, title="Deprecation", body="x", kind="announcement", asset=internal_dataset
        )
    thread = services.thread_create(
        by=olivia,
        title="Deprecation",
        body="Merchant list v1 retires in May",
        kind="announcement",
        asset=internal_dataset,
    )
    assert thread.kind == "announcement"


def test_replies_must_stay_in_their_thread(alice, private_thread, internal_thread):
    other = Post.objects.get(thread=internal_thread)
    with pytest.raises(ValidationError):
        services.post_create(by=alice, thread=private_thread, body="x", reply_to=other)


def test_a_locked_thread_takes_posts_from_moderators_only(alice, olivia, bob, private_thread):
    with pytest.raises(PermissionDenied):
        services.thread_moderate(by=alice, thread=private_thread, locked=True)
    services.thread_moderate(by=olivia, thread=private_thread, locked=True, pinned=True, closed=True)
    private_thread.refresh_from_db()
    assert private_thread.is_locked and private_thread.is_pinned and private_thread.is_closed
    with pytest.raises(PermissionDenied):
        services.post_create(by=alice, thread=private_thread, body="One more thing")
    services.post_create(by=olivia, thread=private_thread, body="Locked: answered in the wiki.")


def test_any_data_officer_moderates_organisation_wide_categories(alice, olivia, bob, org_category):
    thread = services.thread_create(by=bob, title="Off-topic", body="x", category=org_category)
    assert services.thread_user_may(user=olivia, thread=thread, action=Action.MANAGE)
    assert not services.thread_user_may(user=alice, thread=thread, action=Action.MANAGE)
    assert services.thread_user_may(user=bob, thread=thread, action=Action.CHANGE)  # its author
    assert not services.thread_user_may(user=alice, thread=thread, action=Action.CHANGE)


# --- answers ------------------------------------------------------------------------------------
def test_the_author_or_an_editor_accepts_an_answer_and_its_author_hears_of_it(
    alice, olivia, ann, bob, private_thread
):
    answer = services.post_create(by=ann, thread=private_thread, body="Payroll lands on Mondays.")
    opening = Post.objects.get(thread=private_thread, is_opening=True)
    with pytest.raises(ValidationError):
        services.thread_accept_answer(by=alice, thread=private_thread, post=opening)
    services.thread_accept_answer(by=alice, thread=private_thread, post=answer)
    private_thread.refresh_from_db()
    assert private_thread.accepted_post == answer
    assert ann.notifications.filter(event=services.EVENT_ACCEPTED).count() == 1
    with pytest.raises(PermissionDenied):
        services.thread_accept_answer(by=ann, thread=private_thread, post=None)  # an analyst may not change
    services.thread_accept_answer(by=olivia, thread=private_thread, post=None)
    private_thread.refresh_from_db()
    assert private_thread.accepted_post is None


def test_only_questions_have_answers(alice, internal_thread):
    reply = services.post_create(by=alice, thread=internal_thread, body="x")
    with pytest.raises(ValidationError):
        services.thread_accept_answer(by=alice, thread=internal_thread, post=reply)


# --- edits --------------------------------------------------------------------------------------
def test_edits_keep_every_version_and_only_the_author_or_a_moderator_edits(
    alice, olivia, ann, private_thread
):
    post = Post.objects.get(thread=private_thread, is_opening=True)
    services.post_edit(by=alice, post=post, body="The curve jumps every Monday morning.")
    with pytest.raises(PermissionDenied):
        services.post_edit(by=ann, post=post, body="Vandalised")
    services.post_edit(by=olivia, post=post, body="The curve jumps every Monday morning (UTC).")
    post.refresh_from_db()
    assert post.edited_at is not None
    bodies = [record.body for record in selectors.post_revisions(post=post)]
    assert bodies == [
        "The curve jumps every Monday morning (UTC).",
        "The curve jumps every Monday morning.",
        "The weekly chargeback curve on card transactions jumps every Monday.",
    ]
    assert selectors.post_revisions(post=post)[0].history_user == olivia


# --- reactions ----------------------------------------------------------------------------------
def test_reactions_toggle_once_per_person_and_emoji(alice, ann, bob, private_thread):
    post = Post.objects.get(thread=private_thread, is_opening=True)
    assert services.reaction_toggle(by=ann, post=post, emoji="+1") is True
    assert services.reaction_toggle(by=alice, post=post, emoji="+1") is True
    assert services.reaction_toggle(by=alice, post=post, emoji="eyes") is True
    assert services.reaction_toggle(by=alice, post=post, emoji="+1") is False
    summary = selectors.reactions_for(user=ann, posts=[post])[post.pk]
    assert [(r.emoji, r.count, r.mine) for r in summary] == [("+1", 1, True), ("eyes", 1, False)]
    with pytest.raises(ValidationError):
        services.reaction_toggle(by=bob, post=post, emoji="+1")  # cannot see it
    with pytest.raises(ValidationError):
        services.reaction_toggle(by=ann, post=post, emoji="<script>")
    assert not Reaction.objects.restrict(bob).exists()
    assert Reaction.objects.restrict(ann).count() == 2


# --- follows ------------------------------------------------------------------------------------
def test_authors_and_posters_follow_the_thread(alice, ann, private_thread):
    services.post_create(by=ann, thread=private_thread, body="Me too")
    thread_type = ContentType.objects.get_for_model(Thread)
    followers = set(
        Follow.objects.filter(target_type=thread_type, target_id=private_thread.pk).values_list(
            "user__username", flat=True
        )
    )
    assert followers == {"alice", "ann"}


# --- deletion -----------------------------------------------------------------------------------
def test_deleting_an_asset_takes_its_discussions_and_follows(alice, private_dataset, private_thread):
    services.follow_create(user=alice, target=private_dataset)
    dataset_id = private_dataset.pk
    with acting_user(alice):
        Dataset.objects.get(pk=dataset_id).delete()
    assert not Thread.objects.filter(pk=private_thread.pk).exists()
    assert not Follow.objects.exists()

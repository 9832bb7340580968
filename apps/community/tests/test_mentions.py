"""Mentions, references and follows: who hears of a post, and which names become links for whom."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.community import markup, selectors, services
from apps.community.models import Notification, Post
from apps.core.notifications import followers_of, notify_followers
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db


def events_of(user):
    return list(Notification.objects.filter(recipient=user).values_list("event", flat=True))


# --- parsing ------------------------------------------------------------------------------------
def test_mentions_and_references_are_found_outside_code_only():
    found = markup.found_in(
        "Hi @Alice, @fraud-analytics: see #card-transactions and #fraud-analytics/merchant-list.\n\n"
        "Mail alice@example.org, page https://x.org/a#frag, issue #42, `@bob #inline`\n\n"
        "```\n@carol #block\n```\n[@dave](https://example.org) **@erin**"
    )
    assert found.names == {"alice", "fraud-analytics", "erin"}  # a link's text is not a mention
    assert {ref.text for ref in found.references} == {"#card-transactions", "#fraud-analytics/merchant-list"}


# --- mentions notify only those who may see the thread ----------------------------------------
def test_a_mention_notifies_people_who_can_see_the_thread_and_never_others(
    alice, olivia, bob, private_thread, internal_thread
):
    services.post_create(by=alice, thread=private_thread, body="@olivia @bob have a look")
    assert events_of(olivia) == [services.EVENT_MENTION]
    assert events_of(bob) == []  # bob cannot see Card transactions: he is never told
    services.post_create(by=alice, thread=internal_thread, body="@bob does Data Platform refresh it?")
    assert events_of(bob) == [services.EVENT_MENTION]
    notification = Notification.objects.get(recipient=bob)
    assert notification.url.endswith(f"#post-{notification.target_id}")
    assert "mentioned you" in notification.message


def test_a_team_mention_reaches_its_members_who_can_see_it(
    alice, olivia, ann, bob, platform_team, private_thread
):
    services.post_create(by=ann, thread=private_thread, body="@fraud-analytics and @data-platform, thoughts?")
    assert events_of(alice) == [services.EVENT_MENTION]  # also the thread's follower: told once
    assert events_of(olivia) == [services.EVENT_MENTION]
    assert events_of(ann) == []  # nobody hears of their own post
    assert events_of(bob) == []  # Data Platform cannot see the thread
    assert "mentioned Fraud Analytics" in Notification.objects.get(recipient=olivia).message


def test_mentions_in_code_notify_nobody(alice, olivia, private_thread):
    services.post_create(by=alice, thread=private_thread, body="Run `notify @olivia` or\n\n    @olivia")
    assert events_of(olivia) == []


def test_an_edit_notifies_only_the_newly_mentioned(alice, olivia, ann, private_thread):
    post = services.post_create(by=alice, thread=private_thread, body="cc @olivia")
    services.post_edit(by=alice, post=post, body="cc @olivia @ann")
    assert events_of(olivia) == [services.EVENT_MENTION]
    assert events_of(ann) == [services.EVENT_MENTION]


# --- replies and follows ------------------------------------------------------------------------
def test_a_reply_tells_the_replied_to_and_the_followers_each_once(alice, olivia, ann, private_thread):
    services.post_create(by=olivia, thread=private_thread, body="Looking into it")  # olivia now follows
    opening = Post.objects.get(thread=private_thread, is_opening=True)
    services.post_create(by=ann, thread=private_thread, body="Payroll day!", reply_to=opening)
    assert events_of(alice)[0] == services.EVENT_REPLY
    assert events_of(olivia)[0] == services.EVENT_POST
    assert Notification.objects.filter(recipient=alice, event=services.EVENT_POST).count() == 1  # olivia's


def test_followers_of_an_asset_and_its_team_hear_of_new_threads(
    alice, olivia, ann, bob, fraud_team, internal_dataset
):
    services.follow_create(user=bob, target=internal_dataset)
    services.follow_create(user=ann, target=fraud_team)
    thread = services.thread_create(
        by=alice, title="Refresh moved to 6am", body="FYI", asset=internal_dataset
    )
    assert events_of(bob) == [services.EVENT_THREAD]
    assert events_of(ann) == [services.EVENT_THREAD]
    services.post_create(by=olivia, thread=thread, body="Thanks")
    assert events_of(bob) == [services.EVENT_POST, services.EVENT_THREAD]  # asset followers: every post
    assert events_of(ann) == [services.EVENT_THREAD]  # team followers: new threads only


def test_a_follower_who_lost_access_hears_nothing(alice, bob, platform_team, private_dataset):
    from guardian.shortcuts import assign_perm, remove_perm

    assign_perm("catalog.view_dataset", platform_team.group, private_dataset)
    services.follow_create(user=bob, target=private_dataset)
    remove_perm("catalog.view_dataset", platform_team.group, private_dataset)
    services.thread_create(by=alice, title="Schema change", body="New column", asset=private_dataset)
    assert events_of(bob) == []
    assert list(selectors.follow_list(user=bob)) == []  # the follow is hidden, not leaked


def test_nobody_follows_what_they_cannot_see(bob, private_dataset, private_thread):
    from django.core.exceptions import ValidationError

    for target in (private_dataset, private_thread):
        with pytest.raises(ValidationError):
            services.follow_create(user=bob, target=target)


def test_other_apps_notify_followers_through_core(alice, ann, bob, fraud_team, internal_dataset):
    services.follow_create(user=bob, target=internal_dataset)
    services.follow_create(user=ann, target=fraud_team)
    assert {user.username for user in followers_of(internal_dataset)} == {"bob", "ann"}
    created = notify_followers(
        target=internal_dataset,
        event="catalog.access_requested",
        actor=alice,
        message="Merchant list failed its checks",
        url="/catalog/",
    )
    assert sorted(n.recipient.username for n in created) == ["ann", "bob"]


def test_notifications_are_emailed_by_the_job_after_commit(
    alice, olivia, private_thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(by=alice, thread=private_thread, body="@olivia please check")
    job = Job.objects.get(kind="community.send_notification_emails")
    job_run(job_id=job.pk)
    assert [m.to for m in mail.outbox] == [["olivia@example.org"]]
    assert "mentioned you" in mail.outbox[0].subject


# --- rendering for a reader ---------------------------------------------------------------------
def test_references_link_only_assets_the_reader_can_see(alice, bob, private_dataset, internal_dataset):
    body = (
        "Compare #card-transactions with #merchant-list and #no-such-thing, ask @olivia or @fraud-analytics."
    )
    for_alice = selectors.render_body(user=alice, body=body)
    for_bob = selectors.render_body(user=bob, body=body)
    assert f'href="/catalog/datasets/{private_dataset.pk}/"' in for_alice
    assert f"/catalog/datasets/{private_dataset.pk}/" not in for_bob
    assert "Card transactions" not in for_bob  # not even the name in a title
    assert "#card-transactions" in for_bob  # the text stays, as written
    assert f'href="/catalog/datasets/{internal_dataset.pk}/"' in for_bob
    assert 'class="mention"' in for_bob and "/teams/fraud-analytics/" in for_bob
    assert "no-such-thing</a>" not in for_alice


def test_two_visible_assets_with_one_slug_link_to_search(alice, fraud_team, platform_team, root):
    from apps.catalog.services import dataset_create

    dataset_create(team=fraud_team, by=root, name="Iris", visibility="internal")
    dataset_create(team=platform_team, by=root, name="Iris", visibility="internal")
    html = selectors.render_body(user=alice, body="#iris or #data-platform/iris")
    assert 'href="/search/?q=iris"' in html
    assert "/catalog/datasets/" in html  # the team-qualified one is unambiguous


def test_rendering_a_page_of_posts_costs_a_fixed_number_of_queries(alice, private_thread, internal_dataset):
    posts = [
        services.post_create(
            by=alice, thread=private_thread, body=f"#merchant-list @olivia {n}", rate_limited=False
        )
        for n in range(2)
    ]
    with CaptureQueriesContext(connection) as few:
        selectors.render_posts(user=alice, posts=posts)
    posts += [
        services.post_create(
            by=alice, thread=private_thread, body=f"#card-transactions @ann {n}", rate_limited=False
        )
        for n in range(8)
    ]
    with CaptureQueriesContext(connection) as many:
        selectors.render_posts(user=alice, posts=posts)
    assert len(many) == len(few)
    assert all(hasattr(post, "html") for post in posts)

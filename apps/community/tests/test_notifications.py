"""Notifications: created with the event for those who may see it, shown in the inbox, emailed by a job."""

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse

from apps.community import selectors, services
from apps.community.models import Notification
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

EVENT = "catalog.access_requested"


def client_for(client, user):
    client.force_login(user)
    return client


def tell(recipients, target, *, actor=None, message="Something happened"):
    return services.notify(
        recipients=recipients,
        event=EVENT,
        actor=actor,
        target=target,
        message=message,
        url="/catalog/datasets/",
    )


def test_only_people_who_can_see_the_target_are_notified(alice, olivia, bob, private_dataset):
    created = tell([alice, olivia, bob], private_dataset, message="Card transactions changed")
    assert sorted(n.recipient.username for n in created) == ["alice", "olivia"]
    assert not Notification.objects.filter(recipient=bob).exists()


def test_the_actor_is_not_told_of_their_own_act_and_duplicates_collapse(alice, olivia, internal_dataset):
    created = tell([alice, olivia, olivia], internal_dataset, actor=alice)
    assert [n.recipient for n in created] == [olivia]


def test_an_email_job_is_enqueued_after_commit_and_sends_each_email_once(
    alice, olivia, internal_dataset, django_capture_on_commit_callbacks, settings
):
    settings.ATRIUM_BASE_URL = "https://atrium.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        tell([alice, olivia], internal_dataset, message="Merchant list was approved")
        assert not Job.objects.exists()  # nothing before the commit
    job = Job.objects.get(kind="community.send_notification_emails")
    assert job_run(job_id=job.pk) == "succeeded"
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "olivia@example.org"]
    assert all("Merchant list was approved" in m.subject for m in mail.outbox)
    link = "https://atrium.example.org/catalog/datasets/"
    assert all(f"Open it in Atrium: {link}\n" in m.body for m in mail.outbox)  # absolute: mail has no host
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    services.notification_emails_send(notification_ids=job.params["notification_ids"])
    assert len(mail.outbox) == 2  # a re-run sends nothing twice


def test_preferences_are_honoured(alice, olivia, ann, internal_dataset, django_capture_on_commit_callbacks):
    services.notification_preference_set(user=alice, event=EVENT, in_app=False, email=False, digest=False)
    services.notification_preference_set(user=olivia, event=EVENT, in_app=False, email=True, digest=False)
    services.notification_preference_set(user=ann, event=EVENT, in_app=True, email=True, digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        created = tell([alice, olivia, ann], internal_dataset)
    by_user = {n.recipient.username: n for n in created}
    assert set(by_user) == {"olivia", "ann"}  # alice turned both off
    assert by_user["olivia"].read_at is not None  # email only: no unread badge
    assert by_user["ann"].read_at is None
    job = Job.objects.get(kind="community.send_notification_emails")
    assert job.params["notification_ids"] == [by_user["olivia"].pk]  # ann waits for her digest
    job_run(job_id=job.pk)
    assert [m.to for m in mail.outbox] == [["olivia@example.org"]]
    assert services.notification_digest_send() == {"sent": 1}
    assert mail.outbox[-1].to == ["ann@example.org"] and "digest" in mail.outbox[-1].subject
    assert services.notification_digest_send() == {"sent": 0}


def test_the_inbox_shows_only_my_notifications_with_an_unread_count(client, alice, bob, internal_dataset):
    tell([alice, bob], internal_dataset, message="For both")
    web = client_for(client, bob)
    response = web.get(reverse("community:notification_list"))
    assert [n.recipient for n in response.context["notifications"]] == [bob]
    badge = web.get(reverse("community:notification_badge")).content.decode()
    assert 'id="unread-count">1<' in badge


def test_opening_marks_read_and_goes_to_the_target_but_never_off_site(client, alice, internal_dataset):
    [notification] = tell([alice], internal_dataset)
    web = client_for(client, alice)
    response = web.get(reverse("community:notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/catalog/datasets/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    Notification.objects.filter(pk=notification.pk).update(url="https://evil.example/")
    response = web.get(reverse("community:notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("community:notification_list")


def test_someone_elses_notification_is_a_404_and_stays_unread(client, alice, bob, internal_dataset):
    [notification] = tell([alice], internal_dataset)
    web = client_for(client, bob)
    assert web.get(reverse("community:notification_open", args=[notification.pk])).status_code == 404
    assert web.post(reverse("community:notification_read", args=[notification.pk])).status_code == 404
    web.post(reverse("community:notification_read_all"))
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_read_and_mark_all_read(client, alice, internal_dataset):
    (first,) = tell([alice], internal_dataset, message="one")
    tell([alice], internal_dataset, message="two")
    web = client_for(client, alice)
    response = web.post(
        reverse("community:notification_read", args=[first.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="notification-' in response.content.decode()
    assert selectors.notification_unread_count(user=alice) == 1
    web.post(reverse("community:notification_read_all"))
    assert selectors.notification_unread_count(user=alice) == 0


def test_preferences_page_saves_each_event(client, alice):
    web = client_for(client, alice)
    page = web.get(reverse("community:notification_preferences"))
    assert "Someone asks for access" in page.content.decode()
    web.post(reverse("community:notification_preferences"), {f"{EVENT}:in_app": "on"})
    rows = {row["event"]: row for row in selectors.notification_preferences(user=alice)}
    assert rows[EVENT] == {**rows[EVENT], "in_app": True, "email": False, "digest": False}


def test_the_api_lists_and_marks_my_notifications(alice, bob, internal_dataset):
    from rest_framework.test import APIClient

    [mine] = tell([alice], internal_dataset, message="Yours")
    tell([bob], internal_dataset, message="Bob's")
    api = APIClient()
    api.force_authenticate(alice)
    listing = api.get("/api/v1/notifications/").json()
    assert [row["message"] for row in listing["results"]] == ["Yours"]
    assert listing["results"][0]["unread"] is True
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["unread"] is False
    bobs = Notification.objects.get(recipient=bob)
    assert api.post(f"/api/v1/notifications/{bobs.pk}/read/").status_code == 404
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 0}


def test_lists_run_a_fixed_number_of_queries(
    client, alice, olivia, internal_dataset, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    tell([alice], internal_dataset, actor=olivia)
    web = client_for(client, alice)
    api = APIClient()
    api.force_authenticate(alice)
    url = reverse("community:notification_list")
    with CaptureQueriesContext(connection) as page_queries:
        web.get(url)
    with CaptureQueriesContext(connection) as api_queries:
        api.get("/api/v1/notifications/")
    for _ in range(10):
        tell([alice], internal_dataset, actor=olivia)
    with django_assert_num_queries(len(page_queries)):
        assert len(web.get(url).context["notifications"]) == 11
    with django_assert_num_queries(len(api_queries)):
        assert api.get("/api/v1/notifications/").json()["count"] == 11


# --- re-checked when read: losing access to the target hides the notification everywhere ------
def _everything_alice_sees(client, user):
    """What `user` sees of her notifications: inbox page, badge, API list and count."""
    from rest_framework.test import APIClient

    web = client_for(client, user)
    inbox = [n.message for n in web.get(reverse("community:notification_list")).context["notifications"]]
    badge = web.get(reverse("community:notification_badge")).content.decode()
    api = APIClient()
    api.force_authenticate(user)
    listing = api.get("/api/v1/notifications/").json()
    return inbox, badge, [row["message"] for row in listing["results"]]


def _lose_team(user, team, root):
    from apps.teams.models import Membership
    from apps.teams.services import membership_remove

    membership_remove(membership=Membership.objects.get(user=user, team=team), by=root)


def _make_private(dataset, root):
    from apps.catalog.services import dataset_update

    dataset_update(dataset=dataset, by=root, visibility="private")


def _revoke_grant(user, dataset, root):
    from guardian.shortcuts import remove_perm

    remove_perm("catalog.view_dataset", user, dataset)


@pytest.mark.parametrize(
    ("who", "dataset_fixture", "lose_access"),
    [
        ("alice", "private_dataset", "team"),  # removed from the owning team
        ("bob", "internal_dataset", "private"),  # the dataset is made private
        ("bob", "private_dataset", "grant"),  # an explicit grant is revoked
    ],
)
def test_a_notification_disappears_when_its_reader_loses_access(
    client, request, root, fraud_team, alice, bob, who, dataset_fixture, lose_access
):
    from guardian.shortcuts import assign_perm

    user = {"alice": alice, "bob": bob}[who]
    dataset = request.getfixturevalue(dataset_fixture)
    if lose_access == "grant":
        assign_perm("catalog.view_dataset", user, dataset)
    tell([user], dataset, message="Card transactions changed")
    tell([user], None, message="Nothing to lose")  # no target: always shown
    inbox, badge, api = _everything_alice_sees(client, user)
    assert inbox == api == ["Nothing to lose", "Card transactions changed"]
    assert 'id="unread-count">2<' in badge
    {"team": lambda: _lose_team(user, fraud_team, root), "private": lambda: _make_private(dataset, root)}.get(
        lose_access, lambda: _revoke_grant(user, dataset, root)
    )()
    client.logout()
    inbox, badge, api = _everything_alice_sees(client, user)
    assert inbox == api == ["Nothing to lose"]
    assert 'id="unread-count">1<' in badge
    assert selectors.notification_unread_count(user=user) == 1
    hidden = Notification.objects.get(recipient=user, message="Card transactions changed")
    opened = client_for(client, user).get(reverse("community:notification_open", args=[hidden.pk]))
    assert opened.status_code == 404


def test_a_hidden_notification_is_neither_emailed_nor_in_the_digest(
    alice, ann, root, fraud_team, private_dataset, internal_dataset, django_capture_on_commit_callbacks
):
    services.notification_preference_set(user=ann, event=EVENT, in_app=True, email=True, digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        tell([alice], private_dataset, message="Private news for alice")
    tell([ann], private_dataset, message="Private news for ann")
    tell([ann], internal_dataset, message="Internal news for ann")
    _lose_team(alice, fraud_team, root)
    _lose_team(ann, fraud_team, root)
    job = Job.objects.get(kind="community.send_notification_emails")
    assert job_run(job_id=job.pk) == "succeeded"
    assert mail.outbox == []  # alice may no longer see the dataset the email is about
    assert services.notification_digest_send() == {"sent": 1}
    [digest] = mail.outbox
    assert "Internal news for ann" in digest.body and "Private news" not in digest.body
    assert "1 notification" in digest.subject


def test_a_notification_comes_back_with_access(client, alice, root, fraud_team, private_dataset):
    from apps.teams.services import membership_set

    tell([alice], private_dataset, message="Card transactions changed")
    _lose_team(alice, fraud_team, root)
    assert selectors.notification_unread_count(user=alice) == 0
    membership_set(team=fraud_team, user=alice, role="data_scientist", by=root)
    assert selectors.notification_unread_count(user=alice) == 1


def test_the_inbox_runs_a_fixed_number_of_queries_with_targets_of_every_kind(
    client, alice, olivia, internal_dataset, private_dataset, internal_thread, django_assert_num_queries
):
    """Visibility is one subquery per target type inside the list's own query, never a check per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = internal_thread.posts.get()
    web = client_for(client, alice)
    url = reverse("community:notification_list")
    tell([alice], internal_dataset, actor=olivia)
    web.get(url)  # warm the content-type cache
    with CaptureQueriesContext(connection) as baseline:
        web.get(url)
    for target in [internal_dataset, private_dataset, post, None] * 5:
        tell([alice], target, actor=olivia)
    with django_assert_num_queries(len(baseline)):
        assert len(web.get(url).context["notifications"]) == 21


def test_a_target_that_is_not_registered_is_refused(alice, fraud_team):
    with pytest.raises(ValueError, match="not a notification target"):
        tell([alice], fraud_team)


# --- notify() runs a constant number of queries whatever the number of recipients --------------
def test_notify_runs_the_same_queries_for_one_recipient_as_for_twenty(
    make_user, root, fraud_team, internal_thread, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.teams.services import membership_set

    people = []
    for number in range(20):
        person = make_user(f"reader{number}")
        membership_set(team=fraud_team, user=person, role="analyst", by=root)
        people.append(person)
    services.notification_preference_set(
        user=people[1], event=services.EVENT_POST, in_app=True, email=True, digest=False
    )
    services.notification_preference_set(
        user=people[2], event=services.EVENT_POST, in_app=False, email=False, digest=False
    )
    post = internal_thread.posts.get()

    def send(recipients):
        with CaptureQueriesContext(connection) as queries:
            created = services.notify(
                recipients=recipients, event=services.EVENT_POST, target=post, message="New post"
            )
        return created, len(queries)

    send(people[:1])  # warm the content-type cache
    one, one_queries = send(people[:1])
    twenty, twenty_queries = send(people)
    assert len(one) == 1 and len(twenty) == 19  # people[2] turned this event off
    assert one_queries == twenty_queries <= 3  # who may see, preferences, one INSERT
    assert all(notification.pk for notification in twenty)


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened to it."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return super().open()


def test_each_email_run_opens_one_connection_to_the_mail_server(
    alice, olivia, ann, internal_dataset, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    created = tell([alice, olivia], internal_dataset) + tell([alice, olivia], internal_dataset)
    assert services.notification_emails_send(notification_ids=[n.pk for n in created]) == {"sent": 4}
    assert (len(mail.outbox), CountingBackend.opened) == (4, 1)
    for user in (alice, olivia, ann):
        services.notification_preference_set(user=user, event=EVENT, in_app=True, email=True, digest=True)
    tell([alice, olivia, ann], internal_dataset)
    assert services.notification_digest_send() == {"sent": 3}
    assert (len(mail.outbox), CountingBackend.opened) == (7, 2)

"""The daily digest end to end: follows and mentions become one email through the scheduled job."""

import re

import pytest
from django.core import mail

from apps.community import services
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

BASE_URL = "https://atrium.example.org"


@pytest.fixture
def platform_dataset(platform_team, bob):
    from apps.catalog.models import Dataset
    from apps.core.history import acting_user

    with acting_user(bob):
        return Dataset.objects.create(
            team=platform_team, name="Warehouse loads", slug="warehouse-loads", visibility="internal"
        )


def _run_the_scheduled_digest() -> Job:
    """What beat does at 07:00: call the periodic task, which enqueues the job a worker then runs."""
    from django_celery_beat.models import PeriodicTask

    import apps.community.tasks  # noqa: F401 - what the worker's autodiscovery imports
    from apps.community.schedules import DIGEST_TASK_NAME, digest_schedule_ensure
    from portal.celery import app

    digest_schedule_ensure()
    periodic = PeriodicTask.objects.get(name=DIGEST_TASK_NAME)
    job = Job.objects.get(pk=app.tasks[periodic.task]())
    assert job.kind == services.DIGEST_JOB_KIND
    assert job_run(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    return job


def test_a_digest_reader_gets_one_email_with_what_they_may_see_and_nothing_twice(
    client,
    settings,
    root,
    alice,
    bob,
    ann,
    internal_dataset,
    internal_thread,
    org_category,
    platform_dataset,
    django_capture_on_commit_callbacks,
):
    from apps.catalog.services import dataset_update

    settings.ATRIUM_BASE_URL = BASE_URL
    for event in (services.EVENT_POST, services.EVENT_MENTION, services.EVENT_THREAD, services.EVENT_REPLY):
        services.notification_preference_set(user=ann, event=event, in_app=True, email=True, digest=True)
    services.follow_create(user=ann, target=internal_dataset)

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.post_create(by=alice, thread=internal_thread, body="Weekly, on Mondays.")
        mention = services.thread_create(
            by=bob, title="Who owns the chargeback feed?", body="@ann do you know?", category=org_category
        )
        hidden = services.thread_create(
            by=bob, title="Warehouse load failures", body="@ann see the failures", asset=platform_dataset
        )
    dataset_update(dataset=platform_dataset, by=root, visibility="private")  # ann may no longer see it
    mail.outbox = [message for message in mail.outbox if message.to != ["ann@example.org"]]
    assert not Job.objects.filter(kind=services.DIGEST_JOB_KIND).exists()  # immediate mails only so far

    job = _run_the_scheduled_digest()

    assert job.result == {"sent": 1}
    [digest] = [message for message in mail.outbox if message.to == ["ann@example.org"]]
    assert digest.subject == "[Atrium] Your digest: 2 notifications"
    assert "Merchant list refresh cadence" in digest.body  # the post on the dataset she follows
    assert "Who owns the chargeback feed?" in digest.body  # the @mention in another thread
    assert "Warehouse" not in digest.body and f"/t/{hidden.pk}/" not in digest.body
    links = re.findall(r"\((https?://[^)\s]+)\)", digest.body)
    assert links == [
        f"{BASE_URL}/community/t/{internal_thread.pk}/#post-{reply.pk}",
        f"{BASE_URL}/community/t/{mention.pk}/#post-{mention.posts.get().pk}",
    ]
    client.force_login(ann)
    for link in links:
        page = client.get(link.removeprefix(BASE_URL).split("#")[0])
        assert page.status_code == 200

    outbox = len(mail.outbox)
    assert _run_the_scheduled_digest().result == {"sent": 0}  # a second run sends nothing new
    assert len(mail.outbox) == outbox

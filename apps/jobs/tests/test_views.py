"""Job pages: who sees which job, the live progress partial, cancel permissions, starting a demo job."""

import pytest
from django.urls import reverse

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_enqueue, job_run
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def team_job(alice, fraud_team):
    return job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team, params={"seconds": 5})


@pytest.fixture
def finished_job(alice, fraud_team, register_kind):
    kind = register_kind(lambda context: {"rows_profiled": 1200, "columns": ["amount", "merchant"]})
    job = job_enqueue(kind=kind, requester=alice, team=fraud_team)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- list -----------------------------------------------------------------------------------


def test_the_list_shows_the_teams_jobs_with_progress_bars(client, ann, team_job):
    Job.objects.filter(pk=team_job.pk).update(
        status=JobStatus.RUNNING, progress=40, progress_message="Reading"
    )
    body = signed_in(client, ann).get(reverse("jobs:job_list")).content.decode()
    assert "Demo countdown" in body
    assert 'aria-valuenow="40"' in body
    assert "Reading" in body
    assert 'hx-trigger="every 2s"' in body  # re-polls while a job is active


def test_the_list_stops_polling_when_every_job_on_it_has_finished(client, alice, finished_job):
    body = signed_in(client, alice).get(reverse("jobs:job_list")).content.decode()
    assert "Test job" in body
    assert "hx-trigger" not in body.split('id="job-table"')[1].split(">")[0]


def test_the_outsider_sees_none_of_another_teams_jobs(client, bob, team_job):
    body = signed_in(client, bob).get(reverse("jobs:job_list")).content.decode()
    assert f'data-job="{team_job.pk}"' not in body
    assert "No jobs yet" in body


def test_the_list_filters_by_status_kind_and_requester(
    client, alice, olivia, fraud_team, team_job, finished_job
):
    own = job_enqueue(kind="jobs.demo_failure", requester=olivia, team=fraud_team)
    signed_in(client, olivia)

    def listed(**params):
        jobs = client.get(reverse("jobs:job_list"), params).context["object_list"]
        return {job.pk for job in jobs}

    assert listed() == {team_job.pk, finished_job.pk, own.pk}
    assert listed(status="succeeded") == {finished_job.pk}
    assert listed(status="active") == {team_job.pk, own.pk}
    assert listed(kind="jobs.demo_failure") == {own.pk}
    assert listed(scope="mine") == {own.pk}
    assert listed(status="nonsense") == {team_job.pk, finished_job.pk, own.pk}


def test_an_htmx_request_gets_only_the_table(client, alice, team_job):
    response = signed_in(client, alice).get(reverse("jobs:job_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="job-table"')
    assert "<html" not in body


def test_the_list_runs_a_fixed_number_of_queries(client, alice, fraud_team, django_assert_num_queries):
    signed_in(client, alice)
    job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team)
    # session, user, count for the paginator, the page of jobs with requester and team joined
    with django_assert_num_queries(4):
        client.get(reverse("jobs:job_list"))
    for _ in range(10):
        job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team)
    with django_assert_num_queries(4):
        response = client.get(reverse("jobs:job_list"))
    assert len(response.context["object_list"]) == 11


def test_anonymous_visitors_are_sent_to_sign_in(client, team_job):
    for url in (
        reverse("jobs:job_list"),
        reverse("jobs:job_detail", args=[team_job.pk]),
        reverse("jobs:job_progress", args=[team_job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- detail and progress ----------------------------------------------------------------------


def test_the_job_page_polls_its_progress_while_active(client, alice, team_job):
    body = signed_in(client, alice).get(reverse("jobs:job_detail", args=[team_job.pk])).content.decode()
    progress_url = reverse("jobs:job_progress", args=[team_job.pk])
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in body
    assert 'id="cancel-job"' in body
    assert "Seconds" in body and ">5<" in body  # params as a list, not JSON


def test_the_progress_partial_stops_polling_and_shows_the_result_when_finished(client, alice, finished_job):
    response = signed_in(client, alice).get(reverse("jobs:job_progress", args=[finished_job.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "hx-trigger" not in body
    assert 'aria-valuenow="100"' in body
    assert "Rows profiled" in body and "1200" in body
    assert "amount, merchant" in body
    assert 'id="cancel-job"' not in body


def test_the_job_page_shows_a_failure_clearly(client, alice, register_kind):
    def handler(context):
        raise ValueError("no such column: amount")

    job = job_enqueue(kind=register_kind(handler, label="Profile"), requester=alice)
    job_run(job_id=job.pk)
    body = signed_in(client, alice).get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "The job failed" in body
    assert "Profile failed unexpectedly (ValueError: no such column: amount)." in body
    assert "Traceback" not in body


def test_the_team_analyst_sees_the_job_but_no_cancel_button(client, ann, team_job):
    signed_in(client, ann)
    assert client.get(reverse("jobs:job_detail", args=[team_job.pk])).status_code == 200
    body = client.get(reverse("jobs:job_progress", args=[team_job.pk])).content.decode()
    assert 'id="cancel-job"' not in body


@pytest.mark.parametrize("route", ["jobs:job_detail", "jobs:job_progress"])
def test_the_outsider_gets_404_on_another_teams_job(client, bob, team_job, route):
    assert signed_in(client, bob).get(reverse(route, args=[team_job.pk])).status_code == 404


def test_a_personal_job_is_visible_to_its_requester_only(client, alice, ann, bob):
    job = job_enqueue(kind="jobs.demo_countdown", requester=bob)
    assert signed_in(client, bob).get(reverse("jobs:job_detail", args=[job.pk])).status_code == 200
    client.logout()
    assert signed_in(client, ann).get(reverse("jobs:job_detail", args=[job.pk])).status_code == 404


# --- cancel ---------------------------------------------------------------------------------


def test_the_requester_cancels_a_queued_job(client, alice, team_job):
    response = signed_in(client, alice).post(reverse("jobs:job_cancel", args=[team_job.pk]))
    assert response.status_code == 302
    assert response.url == team_job.get_absolute_url()
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.CANCELLED


def test_a_team_member_who_may_run_jobs_may_cancel_a_colleagues_job(client, olivia, team_job):
    response = signed_in(client, olivia).post(
        reverse("jobs:job_cancel", args=[team_job.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="job-progress"' in response.content.decode()
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.CANCELLED
    assert team_job.history.order_by("-history_id").first().history_user == olivia


def test_the_read_only_analyst_gets_403_on_cancel(client, ann, team_job):
    assert signed_in(client, ann).post(reverse("jobs:job_cancel", args=[team_job.pk])).status_code == 403
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.QUEUED


def test_the_outsider_gets_404_on_cancel(client, bob, team_job):
    assert signed_in(client, bob).post(reverse("jobs:job_cancel", args=[team_job.pk])).status_code == 404
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.QUEUED


def test_cancel_needs_post_and_csrf(alice, team_job):
    from django.test import Client

    client = signed_in(Client(enforce_csrf_checks=True), alice)
    assert client.get(reverse("jobs:job_cancel", args=[team_job.pk])).status_code == 405
    assert client.post(reverse("jobs:job_cancel", args=[team_job.pk])).status_code == 403
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.QUEUED


def test_cancelling_a_finished_job_says_so_and_changes_nothing(client, alice, finished_job):
    response = signed_in(client, alice).post(reverse("jobs:job_cancel", args=[finished_job.pk]), follow=True)
    assert "already succeeded" in response.content.decode()
    finished_job.refresh_from_db()
    assert finished_job.status == JobStatus.SUCCEEDED


# --- start ----------------------------------------------------------------------------------


def test_a_person_starts_a_demo_countdown_and_lands_on_its_page(client, alice):
    response = signed_in(client, alice).post(
        reverse("jobs:job_start"), {"kind": "jobs.demo_countdown", "seconds": "3"}
    )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == job.get_absolute_url()
    assert (job.kind, job.params, job.requester, job.team) == (
        "jobs.demo_countdown",
        {"seconds": 3},
        alice,
        None,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "jobs.demo_countdown", "seconds": "0"}, "greater than or equal to 1"),
        ({"kind": "jobs.demo_countdown", "seconds": "soon"}, "valid integer"),
        ({"kind": "nobody.kind"}, "Choose a kind of job"),
        ({}, "Choose a kind of job"),
    ],
)
def test_starting_a_job_with_bad_input_explains_and_starts_nothing(client, alice, data, message):
    response = signed_in(client, alice).post(reverse("jobs:job_start"), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()

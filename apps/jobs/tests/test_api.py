"""/api/v1/jobs/: reads through restrict, start a user-startable kind with field errors, cancel."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_enqueue, job_run

pytestmark = pytest.mark.django_db

LIST = "/api/v1/jobs/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(job) -> str:
    return f"/api/v1/jobs/{job.pk}/"


def cancel(job) -> str:
    return f"/api/v1/jobs/{job.pk}/cancel/"


@pytest.fixture
def team_job(alice, fraud_team):
    return job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team, params={"seconds": 5})


@pytest.fixture
def finished_job(alice, fraud_team, register_kind):
    job = job_enqueue(kind=register_kind(lambda context: {"rows": 7}), requester=alice, team=fraud_team)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- reads ----------------------------------------------------------------------------------


def test_a_team_member_lists_and_reads_the_teams_jobs(ann, team_job, finished_job):
    client = client_for(ann)
    body = client.get(LIST).json()
    assert body["count"] == 2
    assert [job["id"] for job in body["results"]] == [finished_job.pk, team_job.pk]
    job = client.get(detail(finished_job)).json()
    assert job["status"] == "succeeded"
    assert job["result"] == {"rows": 7}
    assert job["progress"] == 100
    assert job["requester"] == "alice"
    assert job["team"] == "fraud-analytics"
    assert job["kind_label"] == "Test job"
    assert job["url"].endswith(detail(finished_job))


def test_the_list_filters_by_status_and_kind(alice, team_job, finished_job):
    client = client_for(alice)
    assert [j["id"] for j in client.get(LIST, {"status": "succeeded"}).json()["results"]] == [finished_job.pk]
    assert [j["id"] for j in client.get(LIST, {"kind": "jobs.demo_countdown"}).json()["results"]] == [
        team_job.pk
    ]
    assert client.get(LIST, {"status": ["queued", "succeeded"]}).json()["count"] == 2
    response = client.get(LIST, {"status": "exploded"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_the_list_is_paginated(alice, fraud_team):
    for _ in range(3):
        job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team)
    body = client_for(alice).get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_outsider_never_sees_another_teams_job(bob, team_job):
    client = client_for(bob)
    assert client.get(LIST).json()["count"] == 0
    assert client.get(LIST, {"team": "fraud-analytics"}).json()["count"] == 0
    response = client.get(detail(team_job))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_the_list_runs_a_fixed_number_of_queries(alice, fraud_team, django_assert_num_queries):
    client = client_for(alice)
    job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team)
    # count, page of jobs joined with requester, team and target type
    with django_assert_num_queries(2):
        client.get(LIST)
    for _ in range(10):
        job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team)
    with django_assert_num_queries(2):
        assert client.get(LIST).json()["count"] == 11


def test_anonymous_requests_are_refused(client, team_job):
    assert client.get(LIST).status_code in {401, 403}
    assert client.get(detail(team_job)).status_code in {401, 403}


# --- cancel ---------------------------------------------------------------------------------


def test_the_requester_cancels_a_job(alice, team_job):
    response = client_for(alice).post(cancel(team_job))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.CANCELLED


def test_cancelling_a_running_job_asks_it_to_stop(olivia, team_job):
    Job.objects.filter(pk=team_job.pk).update(status=JobStatus.RUNNING)
    body = client_for(olivia).post(cancel(team_job)).json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)


def test_the_analyst_gets_403_and_the_outsider_404_on_cancel(ann, bob, team_job):
    response = client_for(ann).post(cancel(team_job))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert client_for(bob).post(cancel(team_job)).status_code == 404
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.QUEUED


def test_cancelling_a_finished_job_is_a_409(alice, finished_job):
    response = client_for(alice).post(cancel(finished_job))
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "detail": "This job has already succeeded."}


# --- start ----------------------------------------------------------------------------------


def test_a_member_starts_a_countdown_for_their_team(
    alice, fraud_team, django_capture_on_commit_callbacks, sent
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            LIST,
            {"kind": "jobs.demo_countdown", "team": "fraud-analytics", "params": {"seconds": 4}},
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    job = Job.objects.get()
    assert (body["id"], body["status"], body["params"]) == (job.pk, "queued", {"seconds": 4})
    assert response["Location"].endswith(detail(job))
    assert (job.team, job.requester) == (fraud_team, alice)
    assert [call["args"] for call in sent] == [[job.pk]]


def test_a_personal_job_takes_the_kinds_default_params(bob):
    response = client_for(bob).post(LIST, {"kind": "jobs.demo_countdown"}, format="json")
    assert response.status_code == 201
    assert response.json()["params"] == {"seconds": 10}
    assert response.json()["team"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "kind"),
        ({"kind": "nobody.kind"}, "kind"),
        ({"kind": "jobs.demo_countdown", "params": {"seconds": 0}}, "params"),
        ({"kind": "jobs.demo_countdown", "params": {"seconds": "soon"}}, "params"),
        ({"kind": "jobs.demo_countdown", "params": [1, 2]}, "params"),
        ({"kind": "jobs.demo_countdown", "team": "no-such-team"}, "team"),
    ],
)
def test_bad_start_requests_get_field_errors_and_start_nothing(alice, payload, field):
    response = client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Job.objects.exists()


def test_params_errors_name_the_param(alice):
    response = client_for(alice).post(
        LIST, {"kind": "jobs.demo_countdown", "params": {"seconds": 0}}, format="json"
    )
    assert "seconds" in response.json()["fields"]["params"]


def test_a_kind_people_may_not_start_is_refused(alice, register_kind):
    kind = register_kind(lambda context: 1, name="tests.internal")
    response = client_for(alice).post(LIST, {"kind": kind}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_the_outsider_may_not_start_a_job_for_another_team(bob, fraud_team):
    response = client_for(bob).post(
        LIST, {"kind": "jobs.demo_countdown", "team": "fraud-analytics"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["team"] == ["You may not run jobs for this team."]
    assert not Job.objects.exists()


def test_the_read_only_analyst_may_not_start_a_job_for_the_team(ann):
    response = client_for(ann).post(
        LIST, {"kind": "jobs.demo_countdown", "team": "fraud-analytics"}, format="json"
    )
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_jobs_cannot_be_changed_or_deleted_through_the_api(alice, team_job):
    client = client_for(alice)
    assert client.patch(detail(team_job), {"status": "succeeded"}, format="json").status_code == 405
    assert client.delete(detail(team_job)).status_code == 405
    team_job.refresh_from_db()
    assert team_job.status == JobStatus.QUEUED


# --- schema ---------------------------------------------------------------------------------


def test_the_jobs_api_schema_generates_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("apps.jobs.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned about the jobs API"
    assert "/api/v1/jobs/{id}/cancel/" in schema["paths"]
    assert "JobStatusEnum" in schema["components"]["schemas"]

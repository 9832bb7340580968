"""The Profile tab, Profile now, live progress, CSV exports and the profiling API."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from apps.catalog.models import DatasetProfile
from apps.catalog.tests import profiling_data
from apps.catalog.tests.profiling_data import add_file_version
from apps.jobs.models import Job
from apps.jobs.services import job_run
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db

# The shared fixtures (a stored Parquet version of Fraud's private dataset, profiled or not).
customers_version = profiling_data.customers_version
media = profiling_data.media
profiled_version = profiling_data.profiled_version


def profile_url(dataset, name: str = "catalog:dataset_profile") -> str:
    return reverse(name, kwargs={"pk": dataset.pk})


def api_client(user) -> Client:
    _, raw = token_issue(user=user, name="profiling views test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_tab_says_what_to_do_when_there_is_no_version(client, private_dataset, alice):
    client.force_login(alice)
    response = client.get(profile_url(private_dataset))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No version to profile yet" in html and "Upload a CSV or Parquet file" in html
    assert 'id="profile-now"' not in html


def test_an_unprofiled_version_offers_profile_now_to_members_with_run(client, customers_version, alice, ann):
    client.force_login(alice)
    html = client.get(profile_url(customers_version.dataset)).content.decode()
    assert "Version 1 has not been profiled yet" in html and 'id="profile-now"' in html
    client.force_login(ann)
    html = client.get(profile_url(customers_version.dataset)).content.decode()
    assert 'id="profile-now"' not in html and "Ask a member of Fraud Analytics to profile it" in html


def test_profile_now_starts_a_job_and_shows_its_progress(client, customers_version, alice):
    client.force_login(alice)
    response = client.post(
        profile_url(customers_version.dataset, "catalog:dataset_profile_start"),
        {"version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    job = Job.objects.get(kind="catalog.profile")
    html = response.content.decode()
    assert 'id="profile-job"' in html and "every 1s" in html and f"?job={job.pk}" in html
    # The tab shows the running job, and the polled partial reloads the page once the profile is stored.
    assert 'id="profile-job"' in client.get(profile_url(customers_version.dataset)).content.decode()
    job_run(job_id=job.pk)
    progress = client.get(
        profile_url(customers_version.dataset, "catalog:dataset_profile_progress"),
        {"job": job.pk},
        headers={"HX-Request": "true"},
    )
    assert progress["HX-Refresh"] == "true" and "every 1s" not in progress.content.decode()


def test_profile_now_without_htmx_redirects_back_to_the_tab(client, customers_version, alice):
    client.force_login(alice)
    response = client.post(profile_url(customers_version.dataset, "catalog:dataset_profile_start"))
    assert response.status_code == 302 and response["Location"] == profile_url(customers_version.dataset)


def test_analysts_may_not_start_profiling(client, customers_version, ann):
    client.force_login(ann)
    assert (
        client.post(profile_url(customers_version.dataset, "catalog:dataset_profile_start")).status_code
        == 403
    )
    assert not Job.objects.exists()


def test_a_failed_job_shows_its_error_on_the_tab(client, customers_version, media, alice):
    (media / "uploads" / "customers.parquet").write_bytes(b"PAR1garbage")
    client.force_login(alice)
    client.post(profile_url(customers_version.dataset, "catalog:dataset_profile_start"))
    job_run(job_id=Job.objects.get().pk)
    html = client.get(profile_url(customers_version.dataset)).content.decode()
    assert "Profiling failed" in html and "could not be read as Parquet" in html


def test_the_tab_shows_summary_columns_and_a_chart_per_column(
    client, profiled_version, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(20):
        response = client.get(profile_url(profiled_version.dataset))
    html = response.content.decode()
    profile = DatasetProfile.objects.get()
    assert 'id="profile-rows">40<' in html
    assert f"job #{profile.job_id}" in html and profile.engine in html
    for column in ("id", "email", "amount", "signed_up", "segment", "active"):
        assert 'id="figure-col-' in html and f">{column}<" in html
    assert html.count('class="profile-chart"') == 7  # six columns and the missing-values chart
    assert "plotly/plotly.min.js" in html and "retail (20)" in html
    assert (
        "dataset_preview" not in html
        and f"/catalog/datasets/{profiled_version.dataset.pk}/preview/?version=1" in html
    )


def test_a_profile_without_missing_values_says_so_instead_of_an_empty_chart(client, profiled_version, alice):
    profile = DatasetProfile.objects.get()
    profile.columns = {
        name: {**stats, "nulls": 0, "null_fraction": 0.0} for name, stats in profile.columns.items()
    }
    profile.save()

    client.force_login(alice)
    html = client.get(profile_url(profiled_version.dataset)).content.decode()

    assert "No column has missing values in this version." in html
    assert 'id="chart-nulls"' not in html
    assert html.count('class="profile-chart"') == 6  # one per column, no empty missing-values chart


def test_the_query_count_does_not_grow_with_the_number_of_columns(
    client, media, private_dataset, alice, django_assert_num_queries
):
    add_file_version(private_dataset, media=media, by=alice)
    from apps.catalog.services.profiling import dataset_profile_start

    job_run(job_id=dataset_profile_start(dataset=private_dataset, by=alice).pk)
    client.force_login(alice)
    client.get(profile_url(private_dataset))  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as six_columns:
        client.get(profile_url(private_dataset))
    profile = DatasetProfile.objects.get()
    profile.columns = {
        **profile.columns,
        **{f"extra{i}": {**profile.columns["amount"], "position": 10 + i} for i in range(30)},
    }
    profile.save()
    with django_assert_num_queries(len(six_columns.captured_queries)):
        client.get(profile_url(private_dataset))


def test_each_chart_has_its_data_as_csv(client, profiled_version, alice):
    client.force_login(alice)
    url = profile_url(profiled_version.dataset, "catalog:dataset_profile_export")
    response = client.get(url, {"column": "segment"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="card-transactions-v1-segment-histogram.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["value", "rows"], ["retail", "20"], ["business", "10"], ["public", "10"]]
    amount = list(csv.reader(io.StringIO(client.get(url, {"column": "amount"}).content.decode())))
    assert (
        amount[0] == ["from", "to", "rows"]
        and len(amount) == 21
        and sum(int(row[2]) for row in amount[1:]) == 30
    )
    summary = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert summary[0][0] == "column" and [row[0] for row in summary[1:]] == [
        "id",
        "email",
        "amount",
        "signed_up",
        "segment",
        "active",
    ]
    assert client.get(url, {"column": "nope"}).status_code == 404


def test_csv_export_404s_before_the_first_profile(client, customers_version, alice):
    client.force_login(alice)
    assert (
        client.get(profile_url(customers_version.dataset, "catalog:dataset_profile_export")).status_code
        == 404
    )


def test_versions_can_be_chosen_and_an_unknown_one_is_a_404(client, profiled_version, media, alice):
    add_file_version(profiled_version.dataset, media=media, name="v2.parquet", rows=10, number=2, by=alice)
    client.force_login(alice)
    newest = client.get(profile_url(profiled_version.dataset)).content.decode()
    assert "Version 2 has not been profiled yet" in newest
    first = client.get(profile_url(profiled_version.dataset), {"version": "1"}).content.decode()
    assert 'id="profile-rows">40<' in first
    assert client.get(profile_url(profiled_version.dataset), {"version": "7"}).status_code == 404
    assert client.get(profile_url(profiled_version.dataset), {"version": "x"}).status_code == 404


# --- API ------------------------------------------------------------------------------------


def test_api_returns_the_latest_profile_with_columns_in_order(profiled_version, alice):
    response = api_client(alice).get(f"/api/v1/datasets/{profiled_version.dataset.pk}/profile/")
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["row_count"], body["column_count"]) == (1, 40, 6)
    assert [column["name"] for column in body["columns"]] == [
        "id",
        "email",
        "amount",
        "signed_up",
        "segment",
        "active",
    ]
    amount = body["columns"][2]
    assert amount["nulls"] == 10 and amount["histogram"]["type"] == "bins" and amount["masked"] is False


def test_api_profile_is_a_404_until_profiled_and_for_unknown_versions(customers_version, alice):
    client = api_client(alice)
    response = client.get(f"/api/v1/datasets/{customers_version.dataset.pk}/profile/")
    assert response.status_code == 404 and "not been profiled yet" in response.json()["detail"]
    assert (
        client.get(f"/api/v1/datasets/{customers_version.dataset.pk}/profile/?version=3").status_code == 404
    )


def test_api_post_starts_a_job_and_answers_202(customers_version, alice):
    response = api_client(alice).post(
        f"/api/v1/datasets/{customers_version.dataset.pk}/profile/",
        {"version": 1},
        content_type="application/json",
    )
    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json() == {
        "job": job.pk,
        "status": "queued",
        "version": 1,
        "url": f"/api/v1/jobs/{job.pk}/",
    }


def test_api_post_refuses_analysts_and_bad_input(customers_version, private_dataset, ann, alice):
    url = f"/api/v1/datasets/{customers_version.dataset.pk}/profile/"
    assert api_client(ann).post(url, {}, content_type="application/json").status_code == 403
    client = api_client(alice)
    assert client.post(url, {"version": "abc"}, content_type="application/json").status_code == 400
    assert client.post(url, {"version": 5}, content_type="application/json").status_code == 404
    assert not Job.objects.exists()


def test_api_post_on_a_dataset_without_versions_says_why(private_dataset, alice):
    response = api_client(alice).post(
        f"/api/v1/datasets/{private_dataset.pk}/profile/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "no version to profile yet" in response.content.decode()


def test_the_profile_routes_are_in_the_openapi_schema(client, alice):
    client.force_login(alice)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/datasets/{id}/profile/"])
    assert "get" in schema["paths"]["/api/v1/datasets/{id}/preview/"]

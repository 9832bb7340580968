"""The sources, versions and uploads API: write-only credentials, 202 jobs, 404 across teams, bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.catalog.models import Dataset, DataSource
from apps.catalog.services.sources import file_upload, source_create
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "data")]
    (tmp_path / "data").mkdir()


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def test_creating_a_sql_source_never_returns_the_password(api, alice, fraud_team):
    response = api(alice).post(
        "/api/v1/sources/",
        {"team": fraud_team.slug, "kind": "sql", "name": "Warehouse",
         "database_url": "postgresql://reader@127.0.0.1:5432/shop", "password": "pa55word"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["display_url"] == "postgresql+psycopg://reader@127.0.0.1:5432/shop"
    assert "database_url" not in body and "password" not in body
    listed = api(alice).get("/api/v1/sources/").content.decode()
    detail = api(alice).get(f"/api/v1/sources/{body['id']}/").content.decode()
    assert "pa55word" not in listed + detail and "credentials" not in listed + detail


def test_a_deny_listed_host_is_a_field_error(api, alice, fraud_team):
    response = api(alice).post(
        "/api/v1/sources/",
        {
            "team": fraud_team.slug,
            "kind": "sql",
            "name": "Meta",
            "database_url": "postgresql://u@169.254.169.254/x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "link-local" in str(response.json())
    assert not DataSource.objects.exists()


def test_test_and_sync_answer_202_with_the_job(api, alice, fraud_team):
    source = source_create(team=fraud_team, by=alice, kind="folder", name="Drop", location="drop")
    for operation, kind in (("test", "catalog.source_test"), ("sync", "catalog.source_sync")):
        response = api(alice).post(f"/api/v1/sources/{source.pk}/{operation}/")
        assert response.status_code == 202
        job = Job.objects.get(pk=response.json()["job"])
        assert (job.kind, job.requester, job.params) == (kind, alice, {"source_id": source.pk})


def test_outsiders_get_404_and_analysts_403(api, alice, ann, bob, fraud_team):
    source = source_create(team=fraud_team, by=alice, kind="folder", name="Drop", location="drop")
    assert api(bob).get(f"/api/v1/sources/{source.pk}/").status_code == 404
    assert api(bob).post(f"/api/v1/sources/{source.pk}/sync/").status_code == 404
    assert api(bob).get("/api/v1/sources/").json()["count"] == 0
    assert api(ann).post(f"/api/v1/sources/{source.pk}/sync/").status_code == 403
    assert api(ann).patch(f"/api/v1/sources/{source.pk}/", {"name": "x"}, format="json").status_code == 403
    assert not Job.objects.exists()


def test_sources_list_in_a_fixed_number_of_queries(api, alice, fraud_team, django_assert_max_num_queries):
    for n in range(6):
        source_create(team=fraud_team, by=alice, kind="upload", name=f"Files {n}")
    client = api(alice)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/sources/").json()["count"] == 6


def test_uploading_through_the_api_then_listing_versions(api, alice, bob, fraud_team):
    client = api(alice)
    first = client.post(
        "/api/v1/uploads/", {"team": fraud_team.slug, "file": SimpleUploadedFile("t.csv", b"a,b\n1,2\n")}
    )
    assert first.status_code == 201, first.json()
    dataset_id = first.json()["dataset"]
    second = client.post(
        "/api/v1/uploads/", {"dataset": dataset_id, "file": SimpleUploadedFile("t2.csv", b"a,c\n1,x\n")}
    )
    assert second.status_code == 201
    assert second.json()["version"]["schema_changes"] == {"added": ["c"], "removed": ["b"], "retyped": []}
    versions = client.get(f"/api/v1/datasets/{dataset_id}/versions/").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    assert client.get(f"/api/v1/datasets/{dataset_id}/versions/1/").json()["row_count"] == 1
    assert api(bob).get(f"/api/v1/datasets/{dataset_id}/versions/").status_code == 404
    assert api(bob).get(f"/api/v1/datasets/{dataset_id}/versions/1/").status_code == 404


def test_a_malformed_upload_is_a_400_on_the_file_field(api, alice, fraud_team):
    response = api(alice).post(
        "/api/v1/uploads/", {"team": fraud_team.slug, "file": SimpleUploadedFile("t.csv", b"a,b\n1,2,3\n")}
    )
    assert response.status_code == 400
    assert "malformed" in str(response.json())
    assert not Dataset.objects.exists()


def test_uploading_to_an_invisible_dataset_looks_like_a_missing_one(api, alice, bob, fraud_team):
    dataset = file_upload(team=fraud_team, by=alice, uploaded=SimpleUploadedFile("t.csv", b"a\n1\n")).dataset
    upload = SimpleUploadedFile("t.csv", b"a\n2\n")
    hidden = api(bob).post("/api/v1/uploads/", {"dataset": dataset.pk, "file": upload})
    missing = api(bob).post(
        "/api/v1/uploads/", {"dataset": 999999, "file": SimpleUploadedFile("t.csv", b"a\n2\n")}
    )
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert dataset.versions.count() == 1

"""Source and version pages: list, register forms, upload, detail with jobs, Schema tab, version page."""

import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.models import Column, Dataset, DataSource
from apps.catalog.services.sources import file_upload, source_create
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "data")]
    (tmp_path / "data").mkdir()


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def uploaded(fraud_team, alice):
    file_upload(team=fraud_team, by=alice, uploaded=SimpleUploadedFile("cards.csv", b"id,email\n1,a@x\n"))
    return file_upload(
        team=fraud_team, by=alice, uploaded=SimpleUploadedFile("cards.csv", b"id,email,amount\n1,a@x,2\n")
    )


def test_the_empty_list_says_what_to_do_first(client_for, alice):
    response = client_for(alice).get(reverse("catalog:source_list"))
    assert response.status_code == 200
    assert "No sources yet — register a file or a database" in response.content.decode()


def test_the_list_shows_visible_sources_in_a_fixed_number_of_queries(
    client_for, alice, bob, fraud_team, platform_team, django_assert_max_num_queries
):
    for n in range(5):
        source_create(team=fraud_team, by=alice, kind="upload", name=f"Files {n}")
    source_create(team=platform_team, by=bob, kind="upload", name="Platform secret files")
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog:source_list"))
    body = response.content.decode()
    assert "Files 4" in body and "Platform secret files" not in body


def test_registering_a_database_shows_field_errors_for_bad_urls(client_for, alice, fraud_team):
    response = client_for(alice).post(
        reverse("catalog:source_create", args=["sql"]),
        {
            "team": fraud_team.pk,
            "name": "Meta",
            "visibility": "private",
            "url": "postgresql://u@169.254.169.254/x",
        },
    )
    assert response.status_code == 200
    assert "link-local" in response.content.decode()
    assert not DataSource.objects.exists()


def test_registering_a_sqlite_database_then_syncing_from_the_page(client_for, alice, fraud_team, tmp_path):
    path = tmp_path / "data" / "shop.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    client = client_for(alice)
    response = client.post(
        reverse("catalog:source_create", args=["sql"]),
        {
            "team": fraud_team.pk,
            "name": "Shop",
            "visibility": "private",
            "url": f"sqlite:///{path}",
            "password": "",
        },
    )
    source = DataSource.objects.get()
    assert response.status_code == 302 and response.url == source.get_absolute_url()
    response = client.post(reverse("catalog:source_sync", args=[source.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    job = Job.objects.get(kind="catalog.source_sync")
    assert f'hx-get="{reverse("jobs:job_progress", args=[job.pk])}"' in response.content.decode()
    detail = client.get(source.get_absolute_url())
    assert "Test connection" in detail.content.decode()


def test_an_analyst_sees_a_source_but_may_not_start_jobs(client_for, alice, ann, fraud_team):
    source = source_create(team=fraud_team, by=alice, kind="folder", name="Drop", location="drop")
    client = client_for(ann)
    assert client.get(source.get_absolute_url()).status_code == 200
    assert client.post(reverse("catalog:source_sync", args=[source.pk])).status_code == 403
    assert client.get(reverse("catalog:source_edit", args=[source.pk])).status_code == 403
    assert not Job.objects.exists()


def test_an_outsider_gets_404_on_a_private_source(client_for, alice, bob, fraud_team):
    source = source_create(team=fraud_team, by=alice, kind="folder", name="Drop", location="drop")
    client = client_for(bob)
    for name in ("source_detail", "source_edit", "source_history"):
        assert client.get(reverse(f"catalog:{name}", args=[source.pk])).status_code == 404
    assert client.post(reverse("catalog:source_sync", args=[source.pk])).status_code == 404


def test_uploading_through_the_form_registers_the_dataset(client_for, alice, fraud_team):
    upload = SimpleUploadedFile("fraud_cases.csv", b"case,amount\n1,10\n2,20\n")
    response = client_for(alice).post(
        reverse("catalog:source_upload"), {"team": fraud_team.pk, "file": upload}
    )
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("catalog:dataset_schema", args=[dataset.pk])
    assert dataset.name == "fraud_cases"


def test_a_bad_upload_shows_the_reason_next_to_the_file_field(client_for, alice, fraud_team, settings):
    settings.CATALOG_UPLOAD_MAX_BYTES = 10
    upload = SimpleUploadedFile("big.csv", b"a\n" + b"1\n" * 100)
    response = client_for(alice).post(
        reverse("catalog:source_upload"), {"team": fraud_team.pk, "file": upload}
    )
    assert response.status_code == 200
    assert "the limit is 10 bytes" in response.content.decode()
    assert not Dataset.objects.exists()


def test_the_schema_tab_lists_columns_and_versions(client_for, alice, uploaded):
    response = client_for(alice).get(reverse("catalog:dataset_schema", args=[uploaded.dataset.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "amount" in body and "v2" in body and "v1" in body
    assert (
        reverse("catalog:column_edit", args=[uploaded.dataset.pk, uploaded.dataset.columns.first().pk])
        in body
    )


def test_the_version_page_shows_the_change_against_the_previous_version(client_for, alice, uploaded):
    response = client_for(alice).get(uploaded.version.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "against version 1" in body
    assert "added" in body and "amount" in body


def test_a_column_is_edited_inline_with_htmx(client_for, alice, uploaded):
    column = Column.objects.get(dataset=uploaded.dataset, name="email")
    url = reverse("catalog:column_edit", args=[uploaded.dataset.pk, column.pk])
    client = client_for(alice)
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'name="is_pii"' in form.content.decode()
    response = client.post(
        url, {"description": "Customer e-mail", "is_pii": "on"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "PII" in response.content.decode()
    column.refresh_from_db()
    assert column.is_pii and column.description == "Customer e-mail"


def test_an_analyst_may_not_edit_columns_or_upload_versions(client_for, ann, uploaded):
    column = uploaded.dataset.columns.first()
    client = client_for(ann)
    url = reverse("catalog:column_edit", args=[uploaded.dataset.pk, column.pk])
    assert client.post(url, {"is_pii": "on"}).status_code == 403
    assert client.get(reverse("catalog:dataset_upload", args=[uploaded.dataset.pk])).status_code == 403
    column.refresh_from_db()
    assert not column.is_pii


def test_uploading_a_new_version_from_the_dataset_page(client_for, alice, uploaded):
    upload = SimpleUploadedFile("anything.csv", b"id,email,amount,country\n1,a,2,FR\n")
    response = client_for(alice).post(
        reverse("catalog:dataset_upload", args=[uploaded.dataset.pk]), {"file": upload}
    )
    assert response.status_code == 302
    assert uploaded.dataset.versions.count() == 3


def test_a_data_officer_deletes_a_source_and_its_datasets_stay(client_for, olivia, uploaded):
    source = uploaded.dataset.source
    web = client_for(olivia)
    detail = web.get(source.get_absolute_url()).content.decode()
    assert reverse("catalog:source_delete", args=[source.pk]) in detail
    confirm = web.get(reverse("catalog:source_delete", args=[source.pk])).content.decode()
    assert "cards" in confirm and "stay in the catalog" in confirm
    response = web.post(reverse("catalog:source_delete", args=[source.pk]))
    assert response.status_code == 302 and response.url == reverse("catalog:source_list")
    assert not DataSource.objects.filter(pk=source.pk).exists()
    dataset = Dataset.objects.get(pk=uploaded.dataset.pk)
    assert dataset.source_id is None and dataset.versions.count() == 2
    assert DataSource.history.filter(id=source.pk, history_type="-").get().history_user == olivia


def test_a_data_scientist_may_not_delete_a_source(client_for, alice, uploaded):
    source = uploaded.dataset.source
    web = client_for(alice)
    assert (
        reverse("catalog:source_delete", args=[source.pk])
        not in web.get(source.get_absolute_url()).content.decode()
    )
    assert web.get(reverse("catalog:source_delete", args=[source.pk])).status_code == 403
    assert web.post(reverse("catalog:source_delete", args=[source.pk])).status_code == 403
    assert DataSource.objects.filter(pk=source.pk).exists()

"""Catalog uploads past UPLOAD_MAX_BYTES: a clear error on the file field, and no bytes stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.models import Dataset

LIMIT = 1024


def _client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def small_limit(settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = LIMIT
    settings.CATALOG_UPLOAD_MAX_BYTES = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # everything else would go to a temporary file …
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)  # … here
    return tmp_path


def test_an_oversized_upload_page_says_the_limit_and_stores_nothing(client, alice, fraud_team, small_limit):
    upload = SimpleUploadedFile("big.csv", b"a\n" + b"1\n" * 50_000)
    response = _client(client, alice).post(
        reverse("catalog:source_upload"), {"team": fraud_team.pk, "file": upload}
    )
    assert response.status_code == 200
    assert "the limit is 1 KiB" in response.content.decode()
    assert not Dataset.objects.exists()
    assert not any(small_limit.iterdir())  # no temporary file left with the upload's bytes


def test_an_oversized_api_upload_is_a_field_error(client, alice, fraud_team, small_limit):
    upload = SimpleUploadedFile("big.csv", b"a\n" + b"1\n" * 50_000)
    response = _client(client, alice).post(
        reverse("upload-create"),
        {"team": fraud_team.slug, "file": upload},
    )
    assert response.status_code == 400, response.content
    assert "the limit is 1 KiB" in response.json()["fields"]["file"][0]
    assert not Dataset.objects.exists()

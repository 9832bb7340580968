"""version_frame: a version's rows as a capped DataFrame, read by the catalog's own engines, PII refused."""

from __future__ import annotations

import pytest
from django.http import Http404

from apps.catalog.models import DatasetVersion
from apps.catalog.profiling import ProfilingError
from apps.catalog.selectors.profiling import version_frame
from apps.catalog.tests import profiling_data
from apps.catalog.tests.profiling_data import SECRET_EMAIL, write_sqlite
from apps.core.history import acting_user

pytestmark = pytest.mark.django_db

customers_version = profiling_data.customers_version
media = profiling_data.media


def test_a_stored_file_is_read_in_order_and_capped(customers_version, alice):
    read = version_frame(
        user=alice, version=customers_version, columns=["id", "amount", "segment"], max_rows=25
    )
    assert list(read.frame.columns) == ["id", "amount", "segment"]
    assert read.frame["id"].tolist() == list(range(1, 26))
    assert read.truncated and read.max_rows == 25
    assert read.columns[0] == {"name": "id", "type": "BIGINT"}
    whole = version_frame(user=alice, version=customers_version, columns=["id"], max_rows=1000)
    assert len(whole.frame) == 40 and not whole.truncated


def test_editors_read_pii_and_others_are_refused_it(customers_version, alice, ann):
    read = version_frame(user=alice, version=customers_version, max_rows=100)
    assert SECRET_EMAIL in read.frame["email"].tolist()
    with pytest.raises(ProfilingError) as caught:
        version_frame(user=ann, version=customers_version, columns=["id", "email"], max_rows=100)
    assert str(caught.value) == (
        "The column email is flagged as personal data (PII) in Card transactions; only people who may edit "
        "the dataset can read them unmasked."
    )
    with pytest.raises(ProfilingError):
        version_frame(user=ann, version=customers_version, max_rows=100)  # every column includes email
    assert len(version_frame(user=ann, version=customers_version, columns=["id"], max_rows=100).frame) == 40


def test_an_outsider_gets_404(customers_version, bob):
    with pytest.raises(Http404):
        version_frame(user=bob, version=customers_version, columns=["id"], max_rows=10)


def test_an_unknown_column_is_named(customers_version, alice):
    with pytest.raises(ProfilingError) as caught:
        version_frame(user=alice, version=customers_version, columns=["id", "colour"], max_rows=10)
    assert str(caught.value) == "The file customers.parquet has no column named colour."


def test_a_sql_table_is_read_in_key_order_with_numbers_as_numbers(
    private_dataset, fraud_team, alice, tmp_path, settings
):
    from apps.catalog.models import DataSource
    from apps.core.crypto import encrypt_text

    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path)]
    database = write_sqlite(tmp_path / "shop.sqlite3")
    with acting_user(alice):
        source = DataSource.objects.create(
            team=fraud_team, name="Shop", slug="shop", kind="sql",
            credentials_encrypted=encrypt_text(f"sqlite:///{database}"),
        )  # fmt: skip
        private_dataset.source = source
        private_dataset.save()
        version = DatasetVersion.objects.create(dataset=private_dataset, number=1, location="customers")
    read = version_frame(user=alice, version=version, columns=["id", "amount", "segment"], max_rows=10)
    assert read.frame["id"].tolist() == list(range(1, 11)) and read.truncated
    assert str(read.frame["amount"].dtype) == "float64"
    with pytest.raises(ProfilingError) as caught:
        version_frame(user=alice, version=version, columns=["nope"], max_rows=10)
    assert str(caught.value) == "The table customers has no column named nope."

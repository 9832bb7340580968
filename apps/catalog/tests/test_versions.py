"""Dataset versions: numbering, schema changes, column sync, immutability, column edits."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.catalog.models import Column, DatasetVersion, GlossaryTerm
from apps.catalog.services.versions import (
    column_update,
    dataset_version_is_new,
    dataset_version_record,
    schema_diff,
    schema_normalize,
)
from apps.core.history import acting_user

pytestmark = pytest.mark.django_db

V1 = [
    {"name": "id", "type": "int64", "nullable": False},
    {"name": "amount", "type": "double", "nullable": True},
    {"name": "email", "type": "string", "nullable": True},
]


def record(dataset, schema, *, content_hash="h1", by=None, row_count=10):
    return dataset_version_record(
        dataset=dataset,
        schema=schema,
        row_count=row_count,
        content_hash=content_hash,
        location="file.csv",
        by=by,
        producer="test",
    )


def test_a_first_version_is_number_one_with_no_changes_and_becomes_latest(private_dataset, alice):
    version = record(private_dataset, V1, by=alice)
    private_dataset.refresh_from_db()
    assert version.number == 1
    assert version.schema_changes == {}
    assert version.column_count == 3
    assert version.created_by == alice
    assert private_dataset.latest_version == version
    assert list(private_dataset.columns.values_list("name", "data_type", "nullable", "position")) == [
        ("id", "int64", False, 0),
        ("amount", "double", True, 1),
        ("email", "string", True, 2),
    ]
    assert version.history.first().history_user == alice


def test_a_second_version_records_added_removed_and_retyped_columns(private_dataset, alice):
    record(private_dataset, V1, by=alice)
    v2_schema = [
        {"name": "id", "type": "string", "nullable": False},
        {"name": "amount", "type": "double", "nullable": True},
        {"name": "country", "type": "string", "nullable": True},
    ]
    version = record(private_dataset, v2_schema, content_hash="h2", by=alice)
    assert version.number == 2
    assert version.schema_changes == {
        "added": ["country"],
        "removed": ["email"],
        "retyped": [{"name": "id", "old": "int64", "new": "string"}],
    }
    assert sorted(private_dataset.columns.values_list("name", flat=True)) == ["amount", "country", "id"]


def test_surviving_columns_keep_their_description_term_and_pii_flag(private_dataset, alice, fraud_team):
    record(private_dataset, V1, by=alice)
    with acting_user(alice):
        term = GlossaryTerm.objects.create(team=fraud_team, name="Amount", slug="amount", definition="Money.")
    amount = private_dataset.columns.get(name="amount")
    column_update(column=amount, by=alice, description="In euros", term=term, is_pii=True)
    record(private_dataset, [*V1[:2], {"name": "new", "type": "bool"}], content_hash="h2", by=alice)
    amount = Column.objects.get(dataset=private_dataset, name="amount")
    assert (amount.description, amount.term, amount.is_pii) == ("In euros", term, True)


def test_a_version_cannot_be_changed_once_written(private_dataset, alice):
    version = record(private_dataset, V1, by=alice)
    version.row_count = 99
    with pytest.raises(ValidationError, match="immutable"):
        version.save()
    assert DatasetVersion.objects.get(pk=version.pk).row_count == 10


@pytest.mark.parametrize(
    "schema",
    ["not a list", [{"type": "int"}], [{"name": "a"}, {"name": "a"}], [42]],
)
def test_a_malformed_schema_is_refused_and_nothing_is_created(private_dataset, alice, schema):
    with pytest.raises(ValidationError):
        record(private_dataset, schema, by=alice)
    assert not DatasetVersion.objects.filter(dataset=private_dataset).exists()
    assert not Column.objects.filter(dataset=private_dataset).exists()


def test_schema_normalize_accepts_plain_names_and_data_type():
    assert schema_normalize(["a", {"name": "b", "data_type": "int"}]) == [
        {"name": "a", "type": "", "nullable": True},
        {"name": "b", "type": "int", "nullable": True},
    ]


def test_schema_diff_of_identical_schemas_is_empty_lists():
    assert schema_diff(V1, V1) == {"added": [], "removed": [], "retyped": []}


def test_a_version_is_new_only_when_hash_or_schema_changed(private_dataset, alice):
    assert dataset_version_is_new(dataset=private_dataset, schema=V1, content_hash="h1")
    record(private_dataset, V1, by=alice)
    assert not dataset_version_is_new(dataset=private_dataset, schema=V1, content_hash="h1")
    assert dataset_version_is_new(dataset=private_dataset, schema=V1, content_hash="h2")
    assert dataset_version_is_new(dataset=private_dataset, schema=V1[:2], content_hash="h1")


def test_column_edits_need_change_rights_on_the_dataset(private_dataset, alice, ann, bob):
    record(private_dataset, V1, by=alice)
    column = private_dataset.columns.get(name="email")
    with pytest.raises(PermissionDenied):
        column_update(column=column, by=ann, is_pii=True)
    with pytest.raises(PermissionDenied):
        column_update(column=column, by=bob, is_pii=True)
    column_update(column=column, by=alice, is_pii=True)
    column.refresh_from_db()
    assert column.is_pii
    assert column.history.first().history_user == alice


def test_a_column_cannot_link_a_term_the_editor_cannot_see(private_dataset, alice, platform_team, bob):
    record(private_dataset, V1, by=alice)
    with acting_user(bob):
        hidden = GlossaryTerm.objects.create(
            team=platform_team, name="Secret", slug="secret", definition="x", visibility="private"
        )
    with pytest.raises(ValidationError):
        column_update(column=private_dataset.columns.get(name="id"), by=alice, term=hidden)

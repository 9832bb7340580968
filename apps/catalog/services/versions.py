"""Dataset versions: the one way to add a version (uploads, syncs, OpenLineage, profiling call it).

A version is immutable. `dataset_version_record` numbers it, computes its schema change
against the previous version (added, removed, retyped columns), points the dataset's
`latest_version` at it and brings the dataset's Column rows in line with the new schema,
keeping the descriptions, glossary terms and PII flags of the columns that survive.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from apps.catalog.models import Column, Dataset, DatasetVersion, GlossaryTerm
from apps.core.history import acting_user
from apps.core.permissions import Action

MAX_COLUMN_NAME = 300
MAX_TYPE_NAME = 100


def schema_normalize(schema: Any) -> list[dict]:
    """A schema as `[{"name", "type", "nullable"}, …]` in column order; refuses malformed input."""
    if schema is None:
        return []
    if not isinstance(schema, (list, tuple)):
        raise ValidationError({"schema": "A schema is a list of columns, each with a name and a type."})
    columns: list[dict] = []
    seen: set[str] = set()
    for position, entry in enumerate(schema):
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            raise ValidationError(
                {"schema": f"Column {position + 1} is not an object with a name and a type."}
            )
        name = str(entry.get("name") or "").strip()[:MAX_COLUMN_NAME]
        if not name:
            raise ValidationError({"schema": f"Column {position + 1} has no name."})
        if name in seen:
            raise ValidationError({"schema": f"The column name “{name}” appears twice."})
        seen.add(name)
        nullable = entry.get("nullable", True)
        columns.append(
            {
                "name": name,
                "type": str(entry.get("type") or entry.get("data_type") or "").strip()[:MAX_TYPE_NAME],
                "nullable": bool(True if nullable is None else nullable),
            }
        )
    return columns


def schema_diff(previous: list[dict] | None, current: list[dict]) -> dict:
    """Added, removed and retyped columns from `previous` to `current` ({} for a first version)."""
    if previous is None:
        return {}
    old = {column["name"]: column for column in previous}
    new = {column["name"]: column for column in current}
    return {
        "added": [column["name"] for column in current if column["name"] not in old],
        "removed": [column["name"] for column in previous if column["name"] not in new],
        "retyped": [
            {"name": name, "old": old[name].get("type", ""), "new": column.get("type", "")}
            for name, column in new.items()
            if name in old and (old[name].get("type", "") or "") != (column.get("type", "") or "")
        ],
    }


def schema_changed(changes: dict) -> bool:
    """Whether a `schema_diff` result records any change."""
    return bool(changes.get("added") or changes.get("removed") or changes.get("retyped"))


def dataset_version_is_new(*, dataset: Dataset, schema: Any, content_hash: str) -> bool:
    """Whether content with this schema and hash differs from the dataset's latest version."""
    latest = dataset.latest_version
    if latest is None:
        return True
    return latest.content_hash != content_hash or schema_normalize(latest.schema) != schema_normalize(schema)


def _columns_sync(*, dataset: Dataset, schema: list[dict]) -> None:
    """Make the dataset's Column rows match `schema`; surviving columns keep their meaning."""
    existing = {column.name: column for column in Column.objects.filter(dataset=dataset)}
    wanted = {entry["name"] for entry in schema}
    stale = [column.pk for name, column in existing.items() if name not in wanted]
    if stale:
        # Deleted one by one through the ORM's collector, so history records each removal.
        for column in Column.objects.filter(pk__in=stale):
            column.delete()
    for position, entry in enumerate(schema):
        column = existing.get(entry["name"])
        if column is None:
            Column.objects.create(
                dataset=dataset,
                name=entry["name"],
                position=position,
                data_type=entry["type"],
                nullable=entry["nullable"],
            )
            continue
        if (column.position, column.data_type, column.nullable) != (
            position,
            entry["type"],
            entry["nullable"],
        ):
            column.position, column.data_type, column.nullable = position, entry["type"], entry["nullable"]
            column.save(update_fields=["position", "data_type", "nullable"])


@transaction.atomic
def dataset_version_record(
    *,
    dataset: Dataset,
    schema: Any,
    row_count: int | None,
    content_hash: str,
    location: str,
    by=None,
    job=None,
    producer: str,
    storage_path: str = "",
    size_bytes: int | None = None,
) -> DatasetVersion:
    """Record a new immutable version of `dataset` and make it the latest (the only way to add one)."""
    columns = schema_normalize(schema)
    if row_count is not None and row_count < 0:
        raise ValidationError({"row_count": "A row count cannot be negative."})
    if size_bytes is not None and size_bytes < 0:
        raise ValidationError({"size_bytes": "A size cannot be negative."})
    # Lock the dataset row so two writers cannot take the same number (a no-op on SQLite,
    # which serialises writers anyway; the unique constraint is the last guard).
    locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
    previous = (
        DatasetVersion.objects.filter(pk=locked.latest_version_id).first()
        if locked.latest_version_id
        else None
    )
    if previous is None:
        previous = DatasetVersion.objects.filter(dataset=locked).order_by("-number").first()
    number = (DatasetVersion.objects.filter(dataset=locked).aggregate(top=Max("number"))["top"] or 0) + 1
    with acting_user(by):
        version = DatasetVersion.objects.create(
            dataset=locked,
            number=number,
            content_hash=str(content_hash or "")[:128],
            row_count=row_count,
            column_count=len(columns),
            schema=columns,
            schema_changes=schema_diff(schema_normalize(previous.schema) if previous else None, columns),
            storage_path=str(storage_path or "")[:1000],
            location=str(location or "")[:1000],
            size_bytes=size_bytes,
            created_by=by if getattr(by, "pk", None) else None,
            created_by_job=job,
            producer=str(producer or "")[:200],
        )
        locked.latest_version = version
        locked.save(update_fields=["latest_version", "updated_at"])
        _columns_sync(dataset=locked, schema=columns)
    dataset.latest_version = version
    return version


COLUMN_FIELDS = {"description", "term", "is_pii"}


@transaction.atomic
def column_update(*, column: Column, by, **changes) -> Column:
    """Change a column's description, glossary term or PII flag (needs `change` on its dataset)."""
    unknown = set(changes) - COLUMN_FIELDS
    if unknown:
        raise ValidationError(f"These column fields cannot be changed here: {', '.join(sorted(unknown))}.")
    if not Dataset.objects.restrict(by, Action.CHANGE).filter(pk=column.dataset_id).exists():
        raise PermissionDenied("Your role in this dataset's team may not change its columns.")
    term = changes.get("term")
    if term is not None and not isinstance(term, GlossaryTerm):
        raise ValidationError({"term": "Choose a glossary term from the list."})
    if term is not None and not GlossaryTerm.objects.restrict(by, Action.VIEW).filter(pk=term.pk).exists():
        raise ValidationError({"term": "Choose a glossary term from the list."})
    if "description" in changes:
        changes["description"] = str(changes["description"] or "").strip()
    if "is_pii" in changes:
        changes["is_pii"] = bool(changes["is_pii"])
    changed = [name for name, value in changes.items() if getattr(column, name) != value]
    if not changed:
        return column
    for name in changed:
        setattr(column, name, changes[name])
    with acting_user(by):
        column.save(update_fields=changed)
    return column

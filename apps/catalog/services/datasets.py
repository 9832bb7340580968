"""Writes and business rules for the catalog: datasets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from apps.catalog.models import Dataset
from apps.core.history import acting_user
from apps.teams.models import Team

DATASET_FIELDS = {"name", "description", "domain", "visibility"}


def dataset_unique_slug(*, team: Team, name: str, exclude_pk: int | None = None) -> str:
    """A slug for `name` that no other dataset of `team` uses (suffixing -2, -3 … when taken)."""
    base = slugify(name)[:190] or "dataset"
    taken = set(
        Dataset.objects.filter(team=team, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def dataset_name_check(*, team: Team, name: str, exclude_pk: int | None = None) -> None:
    """Refuse a name another dataset of `team` already has (ignoring case), as an error on `name`."""
    taken = Dataset.objects.filter(team=team, name__iexact=(name or "").strip()).exclude(pk=exclude_pk)
    if name and taken.exists():
        raise ValidationError(
            {"name": f"{team.name} already has a dataset named “{name}”. Choose another name."}
        )


@transaction.atomic
def dataset_create(*, team: Team, by, name: str, **data) -> Dataset:
    """Register a dataset for `team`; its slug is derived from the name."""
    unknown = set(data) - DATASET_FIELDS
    if unknown:
        raise ValueError(f"Unknown dataset fields {sorted(unknown)}.")
    dataset_name_check(team=team, name=name)
    dataset = Dataset(team=team, name=name, slug=dataset_unique_slug(team=team, name=name), **data)
    dataset.full_clean()
    with acting_user(by):
        dataset.save()
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, by, **changes) -> Dataset:
    """Change a dataset's name, description, domain or visibility (its team and slug stay put)."""
    unknown = set(changes) - DATASET_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on a dataset.")
    if "name" in changes:
        dataset_name_check(team=dataset.team, name=changes["name"], exclude_pk=dataset.pk)
    for field, value in changes.items():
        setattr(dataset, field, value)
    dataset.full_clean()
    with acting_user(by):
        dataset.save()
    return dataset


@transaction.atomic
def dataset_delete(*, dataset: Dataset, by) -> None:
    """Delete a dataset; its history keeps a deletion row attributed to `by`."""
    with acting_user(by):
        dataset.delete()

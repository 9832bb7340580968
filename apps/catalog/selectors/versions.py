"""Reads for dataset versions and columns: visible exactly when their dataset is."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.catalog.models import Column, Dataset, DatasetVersion
from apps.core.permissions import Action


def version_list(*, user, dataset: Dataset) -> QuerySet[DatasetVersion]:
    """The dataset's versions, newest first, with who made them (the dataset is already restricted)."""
    return (
        DatasetVersion.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset)
        .select_related("created_by", "created_by_job")
        .order_by("-number")
    )


def version_get(*, user, dataset: Dataset, number) -> DatasetVersion:
    """One version of a visible dataset, else 404."""
    version = version_list(user=user, dataset=dataset).filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def version_previous(*, version: DatasetVersion) -> DatasetVersion | None:
    """The version just before `version`, if any."""
    return (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def column_list(*, user, dataset: Dataset) -> QuerySet[Column]:
    """The dataset's columns in order, with their glossary terms."""
    return (
        Column.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset)
        .select_related("term")
        .order_by("position", "name")
    )


def column_get(*, user, dataset: Dataset, pk) -> Column:
    """One column of a visible dataset, else 404."""
    column = column_list(user=user, dataset=dataset).filter(pk=pk).first()
    if column is None:
        raise Http404("No such column.")
    return column

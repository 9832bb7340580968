"""Reads for OpenLineage records, always through restrict."""

from __future__ import annotations

from apps.catalog.openlineage.models import OpenLineageDatasetQuality
from apps.core.permissions import Action


def dataset_quality_latest(*, user, dataset) -> OpenLineageDatasetQuality | None:
    """The latest quality facets reported for `dataset`, if the user may see it (one query)."""
    return (
        OpenLineageDatasetQuality.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset)
        .select_related("run__job")
        .order_by("-recorded_at", "-id")
        .first()
    )

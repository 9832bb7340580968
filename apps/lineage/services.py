"""Writes for lineage: record edges (provenance-aware upsert), draw and remove the ones people draw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from apps.core.assets import is_asset
from apps.core.history import acting_user
from apps.core.permissions import Action
from apps.lineage.models import ColumnEdge, Edge, Provenance
from apps.lineage.selectors import asset_user_may

ColumnSpec = tuple[str, str, str]  # (source column, target column, transformation)


def _ends(source: models.Model, target: models.Model) -> dict[str, Any]:
    for end in (source, target):
        if not is_asset(end):
            raise ValidationError(f"{type(end).__name__} is not a registered asset type.")
        if end.pk is None:
            raise ValidationError("Both ends of an edge must be saved assets.")
    source_type = ContentType.objects.get_for_model(source)
    target_type = ContentType.objects.get_for_model(target)
    if source_type == target_type and source.pk == target.pk:
        raise ValidationError("An asset cannot be its own upstream.")
    return {
        "source_type": source_type,
        "source_id": source.pk,
        "target_type": target_type,
        "target_id": target.pk,
    }


@transaction.atomic
def edge_record(
    *,
    source: models.Model,
    target: models.Model,
    provenance: str,
    transformation: str = "",
    by=None,
    producer: str = "",
    facets: dict | None = None,
    columns: Iterable[ColumnSpec] = (),
) -> Edge:
    """Create or refresh the edge with these ends, transformation and provenance; add its column edges.

    Idempotent: recording the same edge again updates its producer and facets
    and adds missing column edges; it never deletes anything, and it only ever
    touches edges of the given provenance, so an ingested run can neither
    replace nor remove an edge a person drew.
    """
    if provenance not in Provenance.values:
        raise ValueError(f"Unknown provenance {provenance!r}.")
    key = {**_ends(source, target), "transformation": (transformation or "")[:300], "provenance": provenance}
    with acting_user(by):
        edge = Edge.objects.filter(**key).first()
        if edge is None:
            try:
                with transaction.atomic():
                    edge = Edge.objects.create(
                        **key, created_by=by, producer=producer[:500], facets=dict(facets or {})
                    )
            except IntegrityError:  # recorded concurrently by another event: refresh that one
                edge = Edge.objects.get(**key)
        if edge.producer != producer[:500] or (facets is not None and edge.facets != facets):
            edge.producer = producer[:500]
            if facets is not None:
                edge.facets = dict(facets)
            edge.save()
        _columns_add(edge=edge, columns=columns)
    return edge


def _columns_add(*, edge: Edge, columns: Iterable[ColumnSpec]) -> None:
    existing = {(c.source_column, c.target_column): c for c in edge.columns.all()}
    for source_column, target_column, transformation in columns:
        source_column, target_column = str(source_column)[:300], str(target_column)[:300]
        transformation = str(transformation or "")[:500]
        column = existing.get((source_column, target_column))
        if column is None:
            column = ColumnEdge.objects.create(
                edge=edge,
                source_column=source_column,
                target_column=target_column,
                transformation=transformation,
            )
            existing[(source_column, target_column)] = column
        elif column.transformation != transformation and transformation:
            column.transformation = transformation
            column.save()


@transaction.atomic
def edge_draw(
    *,
    source: models.Model,
    target: models.Model,
    by,
    transformation: str = "",
    description: str = "",
    columns: Iterable[ColumnSpec] = (),
) -> Edge:
    """A person draws an edge: they must see both assets and may change at least one of them."""
    if not (asset_user_may(user=by, obj=source, action=Action.VIEW)) or not asset_user_may(
        user=by, obj=target, action=Action.VIEW
    ):
        raise ValidationError("Both assets must exist and be visible to you.")
    if not (
        asset_user_may(user=by, obj=source, action=Action.CHANGE)
        or asset_user_may(user=by, obj=target, action=Action.CHANGE)
    ):
        raise PermissionDenied("You may draw an edge only to or from an asset your role lets you change.")
    key = {**_ends(source, target), "transformation": (transformation or "").strip()[:300]}
    if Edge.objects.filter(**key, provenance=Provenance.USER).exists():
        raise ValidationError({"target": "This edge has already been drawn with this transformation."})
    with acting_user(by):
        edge = Edge.objects.create(**key, provenance=Provenance.USER, created_by=by, description=description)
        _columns_add(edge=edge, columns=columns)
    return edge


@transaction.atomic
def edge_update(*, edge: Edge, by, transformation: str | None = None, description: str | None = None) -> Edge:
    """Rename the transformation or describe a drawn edge; recorded edges belong to their producer."""
    if edge.provenance != Provenance.USER:
        raise ValidationError(
            "Only edges drawn by a person can be edited; this one is recorded by its producer."
        )
    if transformation is not None:
        transformation = transformation.strip()[:300]
        clash = Edge.objects.filter(
            source_type=edge.source_type_id,
            source_id=edge.source_id,
            target_type=edge.target_type_id,
            target_id=edge.target_id,
            transformation=transformation,
            provenance=Provenance.USER,
        ).exclude(pk=edge.pk)
        if clash.exists():
            raise ValidationError({"transformation": "An edge with this transformation is already drawn."})
        edge.transformation = transformation
    if description is not None:
        edge.description = description
    with acting_user(by):
        edge.save()
    return edge


@transaction.atomic
def edge_delete(*, edge: Edge, by) -> None:
    """Remove a drawn edge; ingested and job-recorded edges would come back with the next run."""
    if edge.provenance != Provenance.USER:
        raise ValidationError(
            "Only edges drawn by a person can be removed; this one is recorded by its producer "
            "and would come back with its next run."
        )
    with acting_user(by):
        edge.delete()

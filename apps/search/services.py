"""Writes to the search index: index objects (one by one or in bulk), remove them, rebuild a type."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.urls import NoReverseMatch

from apps.core.assets import SearchEntry, SearchType, search_type, search_types
from apps.search.models import FacetName, SearchDocument, SearchFacetValue

logger = logging.getLogger(__name__)

TITLE_MAX = SearchDocument._meta.get_field("title").max_length
FACET_MAX = SearchFacetValue._meta.get_field("value").max_length


def _document(obj: models.Model, entry: SearchEntry) -> SearchDocument:
    access = entry.access if entry.access is not None else obj
    return SearchDocument(
        asset_type=obj._meta.label_lower,
        object_id=obj.pk,
        access_type=access._meta.label_lower,
        access_id=access.pk,
        team_id=entry.team_id,
        visibility=entry.visibility or "private",
        title=(entry.title or str(obj))[:TITLE_MAX],
        body=entry.body or "",
        url=entry.url,
        status=entry.status or "",
    )


def _write(pairs: list[tuple[SearchDocument, SearchEntry]]) -> None:
    """Insert documents and their facet values (ids come back from the bulk insert)."""
    documents = SearchDocument.objects.bulk_create([document for document, _ in pairs])
    facets = []
    for document, (_, entry) in zip(documents, pairs, strict=True):
        for facet, values in ((FacetName.TAG, entry.tags), (FacetName.TERM, entry.terms)):
            for value in dict.fromkeys(v[:FACET_MAX] for v in values if v):
                facets.append(SearchFacetValue(document_id=document.pk, facet=facet, value=value))
    SearchFacetValue.objects.bulk_create(facets)


def _entries(
    registered: SearchType, objects: Iterable[models.Model]
) -> list[tuple[SearchDocument, SearchEntry]]:
    pairs = []
    for obj in objects:
        try:
            entry = registered.document(obj)
        except NoReverseMatch:
            # The object has no page in this URLconf (tests that swap it): nothing to link a hit to.
            logger.warning("search index: no URL for %s %s; not indexed", obj._meta.label_lower, obj.pk)
            continue
        if entry is not None:
            pairs.append((_document(obj, entry), entry))
    return pairs


def search_index_objects(*, objects: Iterable[models.Model], with_dependents: bool = False) -> int:
    """(Re)index the given objects of registered types, in a fixed number of queries per type."""
    by_type: dict[str, list[models.Model]] = defaultdict(list)
    for obj in objects:
        if obj.pk is not None and search_type(obj) is not None:
            by_type[obj._meta.label_lower].append(obj)
    written = 0
    with transaction.atomic():
        for label, members in by_type.items():
            registered = search_type(label)
            pairs = _entries(registered, members)
            SearchDocument.objects.filter(
                asset_type=label, object_id__in=[obj.pk for obj in members]
            ).delete()
            _write(pairs)
            written += len(pairs)
            if with_dependents:
                for obj in members:
                    dependents = list(registered.dependents(obj)) if registered.dependents else []
                    done = {(d._meta.label_lower, d.pk) for d in dependents}
                    governed = [d for d in _governed(obj) if (d._meta.label_lower, d.pk) not in done]
                    written += search_index_objects(objects=dependents + governed)
    return written


def _governed(obj: models.Model) -> list[models.Model]:
    """Other indexed objects whose permissions follow `obj` (its `access`), e.g. discussions on a dataset:
    when the dataset's team or visibility changes, their entries must change with it."""
    label = obj._meta.label_lower
    rows = (
        SearchDocument.objects.filter(access_type=label, access_id=obj.pk)
        .exclude(asset_type=label)
        .values_list("asset_type", "object_id")
    )
    by_type: dict[str, list[int]] = defaultdict(list)
    for asset_type, object_id in rows:
        by_type[asset_type].append(object_id)
    found: list[models.Model] = []
    for asset_type, ids in by_type.items():
        registered = search_type(asset_type)
        if registered is not None:
            found.extend(registered.bulk_queryset().filter(pk__in=ids))
    return found


def search_remove_object(*, obj: models.Model) -> None:
    """Drop an object's document and those it governs (a dataset's columns)."""
    label = obj._meta.label_lower
    SearchDocument.objects.filter(
        models.Q(asset_type=label, object_id=obj.pk) | models.Q(access_type=label, access_id=obj.pk)
    ).delete()


def search_reindex(
    *,
    labels: Iterable[str] | None = None,
    batch_size: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Rebuild the index of the given types (default: every registered one) in batches; returns counts."""
    wanted = set(labels) if labels else None
    counts: dict[str, int] = {}
    for registered in search_types():
        label = registered.model._meta.label_lower
        if wanted is not None and label not in wanted:
            continue
        with transaction.atomic():
            # Raw deletes: the index is derived data with no signals, and a queryset delete
            # would load every row to cascade to the facet values.
            SearchFacetValue.objects.filter(document__asset_type=label)._raw_delete(
                SearchFacetValue.objects.db
            )
            SearchDocument.objects.filter(asset_type=label)._raw_delete(SearchDocument.objects.db)
        queryset = registered.bulk_queryset().order_by("pk")
        last_pk, total = None, 0
        while True:
            batch_queryset = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
            batch = list(batch_queryset[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                pairs = _entries(registered, batch)
                _write(pairs)
            total += len(pairs)
            last_pk = batch[-1].pk
            if progress is not None:
                progress(label, total)
        counts[label] = total
        logger.info("search index: %s documents of %s", total, label)
    return counts

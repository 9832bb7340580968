"""How the catalog's assets are indexed by search (registered in CatalogConfig.ready())."""

from __future__ import annotations

from django.urls import reverse

from apps.core.assets import SearchEntry, register_search


def dataset_document(dataset) -> SearchEntry:
    """A dataset: name; description, domain, source path and identity as body; tags and terms as facets."""
    tags = tuple(tag.name for tag in dataset.tags.all())
    terms = tuple(term.name for term in dataset.terms.all())
    body = " ".join(
        part
        for part in (
            dataset.description,
            dataset.domain,
            dataset.source_path,
            dataset.qualified_name,
            *tags,
            *terms,
        )
        if part
    )
    return SearchEntry(
        title=dataset.name,
        body=body,
        team_id=dataset.team_id,
        visibility=dataset.visibility,
        url=dataset.get_absolute_url(),
        tags=tags,
        terms=terms,
    )


def column_document(column) -> SearchEntry:
    """A column: visible exactly when its dataset is; found by name, type, description and term."""
    dataset = column.dataset
    term = column.term
    body = " ".join(
        part
        for part in (dataset.name, column.data_type, column.description, term.name if term else "")
        if part
    )
    return SearchEntry(
        title=column.name,
        body=body,
        team_id=dataset.team_id,
        visibility=dataset.visibility,
        url=reverse("catalog:dataset_schema", kwargs={"pk": dataset.pk}) + f"#column-{column.pk}",
        access=dataset,
        terms=(term.name,) if term else (),
    )


def term_document(term) -> SearchEntry:
    """A glossary term: name; definition and synonyms as body."""
    return SearchEntry(
        title=term.name,
        body=" ".join([term.definition, *[str(synonym) for synonym in term.synonyms or []]]),
        team_id=term.team_id,
        visibility=term.visibility,
        url=term.get_absolute_url(),
        terms=(term.name,),
    )


def register() -> None:
    from apps.catalog.models import Column, Dataset, GlossaryTerm

    register_search(
        Dataset,
        document=dataset_document,
        queryset=lambda: Dataset.objects.prefetch_related("tags", "terms"),
        # A column's entry embeds its dataset's name, team and visibility.
        dependents=lambda dataset: Column.objects.filter(dataset=dataset).select_related("dataset", "term"),
    )
    register_search(
        Column,
        document=column_document,
        queryset=lambda: Column.objects.select_related("dataset", "term"),
        label="Column",
        icon="columns",
    )
    register_search(
        GlossaryTerm,
        document=term_document,
        label="Glossary term",
        icon="book",
        dependents=lambda term: [
            *Dataset.objects.filter(terms=term).prefetch_related("tags", "terms"),
            *Column.objects.filter(term=term).select_related("dataset", "term"),
        ],
    )

"""Reads for the glossary and tags: every query through `restrict`."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from apps.catalog.models import Column, Dataset, GlossaryTerm, Tag
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids


def glossary_term_list(*, user, text: str = "", team=None) -> QuerySet[GlossaryTerm]:
    """Terms `user` may see, by name, filtered by text (name, synonyms, definition) and owning team."""
    terms = GlossaryTerm.objects.restrict(user, Action.VIEW).select_related("team")
    text = (text or "").strip()
    if text:
        terms = terms.filter(
            Q(name__icontains=text) | Q(synonyms__icontains=text) | Q(definition__icontains=text)
        )
    if team is not None:
        terms = terms.filter(team=team)
    return terms.order_by("name", "id")


def glossary_term_get(*, user, slug: str, action: str = Action.VIEW) -> GlossaryTerm:
    """The term if `user` may see it, else 404."""
    term = GlossaryTerm.objects.restrict(user, Action.VIEW).select_related("team").filter(slug=slug).first()
    if term is None:
        raise Http404("No such glossary term.")
    return term


def glossary_term_user_may(*, user, term: GlossaryTerm, action: str) -> bool:
    return GlossaryTerm.objects.restrict(user, action).filter(pk=term.pk).exists()


def glossary_term_related(*, user, term: GlossaryTerm) -> QuerySet[GlossaryTerm]:
    return term.related.restrict(user, Action.VIEW).select_related("team").order_by("name")


def glossary_term_datasets(*, user, term: GlossaryTerm) -> QuerySet[Dataset]:
    """Datasets linked to the term that `user` may see."""
    return (
        Dataset.objects.restrict(user, Action.VIEW).filter(terms=term).select_related("team").order_by("name")
    )


def glossary_term_columns(*, user, term: GlossaryTerm) -> QuerySet[Column]:
    """Columns meaning the term, in datasets `user` may see."""
    return (
        Column.objects.restrict(user, Action.VIEW)
        .filter(term=term)
        .select_related("dataset", "dataset__team")
        .order_by("dataset__name", "position")
    )


def glossary_creatable_teams(*, user) -> QuerySet:
    """Teams in which `user` may define terms."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.ADD)).order_by("name")


def tag_list(*, user, text: str = "") -> QuerySet[Tag]:
    """Tags on datasets `user` may see, with how many of those datasets carry each."""
    visible = Dataset.objects.restrict(user, Action.VIEW).values("pk")
    tags = Tag.objects.restrict(user, Action.VIEW).annotate(
        dataset_count=Count("datasets", filter=Q(datasets__in=visible), distinct=True)
    )
    text = (text or "").strip()
    if text:
        tags = tags.filter(name__icontains=text)
    return tags.order_by("name", "id")


def tag_get(*, user, slug: str) -> Tag:
    tag = Tag.objects.restrict(user, Action.VIEW).filter(slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def tag_datasets(*, user, tag: Tag) -> QuerySet[Dataset]:
    return (
        Dataset.objects.restrict(user, Action.VIEW).filter(tags=tag).select_related("team").order_by("name")
    )


def dataset_labels(*, user, dataset: Dataset) -> dict:
    """The tags and the glossary terms (those `user` may see) on a dataset, for its side panel."""
    return {
        "tags": list(dataset.tags.order_by("name")),
        "terms": list(dataset.terms.restrict(user, Action.VIEW).order_by("name")),
    }


def glossary_term_choices(*, user) -> QuerySet[GlossaryTerm]:
    """Terms `user` may link to things."""
    return GlossaryTerm.objects.restrict(user, Action.VIEW).select_related("team").order_by("name")

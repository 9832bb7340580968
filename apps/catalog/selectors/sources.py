"""Reads for sources: every query starts from `DataSource.objects.restrict(user, action)`."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count, QuerySet
from django.http import Http404

from apps.catalog.models import Dataset, DataSource
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids


def source_list(*, user, team=None, kind: str = "", text: str = "") -> QuerySet[DataSource]:
    """Sources `user` may see, with their team and how many datasets each feeds (one query)."""
    sources = (
        DataSource.objects.restrict(user, Action.VIEW)
        .select_related("team")
        .annotate(dataset_count=Count("datasets", distinct=True))
    )
    if team is not None:
        sources = sources.filter(team=team)
    if kind:
        sources = sources.filter(kind=kind)
    text = (text or "").strip()
    if text:
        sources = sources.filter(name__icontains=text)
    return sources.order_by("name", "id")


def source_get(*, user, pk, action: str = Action.VIEW) -> DataSource:
    """The source if `user` may see it, else 404 (never 403: no existence leak)."""
    source = DataSource.objects.restrict(user, Action.VIEW).select_related("team").filter(pk=pk).first()
    if source is None:
        raise Http404("No such source.")
    return source


def source_datasets(*, user, source: DataSource) -> QuerySet[Dataset]:
    """The source's datasets that `user` may see (a dataset may be hidden even when its source is not)."""
    return (
        Dataset.objects.restrict(user, Action.VIEW)
        .filter(source=source)
        .select_related("latest_version")
        .order_by("name", "id")
    )


def source_creatable_teams(*, user) -> QuerySet:
    """Teams in which `user` may register sources."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.ADD)).order_by("name")


def source_jobs(*, user, source: DataSource, limit: int = 5) -> list:
    """The latest test and sync jobs on the source that `user` may see."""
    from django.contrib.contenttypes.models import ContentType

    from apps.jobs.models import Job

    return list(
        Job.objects.restrict(user, Action.VIEW)
        .filter(target_type=ContentType.objects.get_for_model(DataSource), target_id=str(source.pk))
        .select_related("requester")
        .order_by("-created_at")[:limit]
    )

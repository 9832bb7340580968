"""Reads for the catalog: every query starts from `Dataset.objects.restrict(user, action)`."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.catalog.models import Dataset
from apps.core.permissions import Action, Role
from apps.core.querysets import member_team_ids

# Public sort keys (what the URL says) → ORM ordering; the last term keeps pages stable.
DATASET_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "team": ("team__name", "name", "id"),
    "-team": ("-team__name", "name", "id"),
    "visibility": ("visibility", "name", "id"),
    "-visibility": ("-visibility", "name", "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_DATASET_SORT = "name"


def dataset_list(
    *, user, team=None, visibility: str = "", text: str = "", sort: str = DEFAULT_DATASET_SORT
) -> QuerySet[Dataset]:
    """Datasets `user` may see, filtered by team, visibility and free text, in a known order."""
    datasets = Dataset.objects.restrict(user, Action.VIEW).select_related("team")
    if team is not None:
        datasets = datasets.filter(team=team)
    if visibility:
        datasets = datasets.filter(visibility=visibility)
    text = (text or "").strip()
    if text:
        datasets = datasets.filter(
            Q(name__icontains=text) | Q(description__icontains=text) | Q(domain__icontains=text)
        )
    return datasets.order_by(*DATASET_SORTS.get(sort, DATASET_SORTS[DEFAULT_DATASET_SORT]))


def dataset_get(*, user, pk) -> Dataset:
    """The dataset if `user` may see it, else 404 (never 403: no existence leak)."""
    dataset = Dataset.objects.restrict(user, Action.VIEW).select_related("team").filter(pk=pk).first()
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def dataset_user_may(*, user, dataset: Dataset, action: str) -> bool:
    """Whether `user` may take `action` on a dataset they can already see (one query)."""
    return Dataset.objects.restrict(user, action).filter(pk=dataset.pk).exists()


def dataset_creatable_teams(*, user) -> QuerySet:
    """Teams in which `user` may register datasets."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.ADD)).order_by("name")


def dataset_owners(*, dataset: Dataset) -> list:
    """The owning team's data officers: the people to ask about this dataset."""
    membership_model = apps.get_model("teams", "Membership")
    return list(
        membership_model.objects.filter(team_id=dataset.team_id, role=Role.DATA_OFFICER)
        .select_related("user")
        .order_by("user__username")
    )


def dataset_created_by(*, dataset: Dataset):
    """Who registered the dataset, from its first history record (None when unknown)."""
    first = (
        dataset.history.filter(history_type="+")
        .select_related("history_user")
        .order_by("history_date")
        .first()
    )
    return first.history_user if first else None

"""Reads for access requests: every query starts from `AccessRequest.objects.restrict(user, action)`."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.catalog.models import AccessRequest, AccessRequestStatus, Dataset
from apps.core.assets import asset_types
from apps.core.permissions import Action

LIST_RELATED = ("dataset", "dataset__team", "requester", "decided_by")
FOR_ASSET_CHOICES_PER_TYPE = 100


def access_request_queue(*, user) -> QuerySet[AccessRequest]:
    """Pending requests `user` may decide (steward, the owning team's data officers, superusers)."""
    return (
        AccessRequest.objects.restrict(user, Action.APPROVE)
        .filter(status=AccessRequestStatus.PENDING)
        .select_related(*LIST_RELATED)
        .order_by("created_at", "id")
    )


def _with_dataset_visible(queryset: QuerySet, user) -> QuerySet:
    """Annotate `dataset_visible`: whether the dataset may be named to `user` (a denied requester
    of a private dataset learns the decision, not the dataset's name)."""
    visible = Dataset.objects.restrict(user, Action.VIEW).filter(pk=OuterRef("dataset_id"))
    return queryset.annotate(dataset_visible=Exists(visible))


def access_requests_of(*, user) -> QuerySet[AccessRequest]:
    """The requests `user` made (a pending one on a dataset they cannot see stays hidden)."""
    requests = (
        AccessRequest.objects.restrict(user, Action.VIEW)
        .filter(requester_id=user.pk)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-id")
    )
    return _with_dataset_visible(requests, user)


def access_requests_for_dataset(*, user, dataset: Dataset) -> QuerySet[AccessRequest]:
    """Requests on a dataset that `user` may see: all of them for its team, their own for others."""
    return (
        AccessRequest.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-id")
    )


def temporary_access_of(*, user, dataset: Dataset) -> AccessRequest | None:
    """The approved, unexpired request through which `user` reads `dataset`, the one lasting
    longest; None when they read it by right (their team, visibility) or not at all."""
    if not user.is_authenticated:
        return None
    return (
        AccessRequest.objects.restrict(user, Action.VIEW)
        .filter(
            dataset=dataset,
            requester_id=user.pk,
            status=AccessRequestStatus.APPROVED,
            expires_at__gt=timezone.now(),
        )
        .order_by("-expires_at")
        .first()
    )


def access_request_get(*, user, pk) -> AccessRequest:
    """A request `user` may see, else 404."""
    requests = AccessRequest.objects.restrict(user, Action.VIEW).select_related(*LIST_RELATED)
    access_request = _with_dataset_visible(requests, user).filter(pk=pk).first()
    if access_request is None:
        raise Http404("No such access request.")
    return access_request


def access_request_dataset_visible(*, user, access_request: AccessRequest) -> bool:
    """Whether the request's dataset may be named to `user` (a denied requester may not see it)."""
    return Dataset.objects.restrict(user, Action.VIEW).filter(pk=access_request.dataset_id).exists()


_DATASET_URL = re.compile(r"(?:^|/)catalog/datasets/(\d+)(?:/|$)")


def dataset_reference_parse(reference: str) -> int | None:
    """A dataset id from what someone pasted: `42`, `#42` or a dataset page URL; None otherwise."""
    text = (reference or "").strip()
    if text.startswith("#"):
        text = text[1:]
    if text.isdigit():
        number = int(text)
        return number if 0 < number < 2**63 else None
    match = _DATASET_URL.search(text)
    if match:
        number = int(match.group(1))
        return number if 0 < number < 2**63 else None
    return None


def dataset_by_reference_unchecked(*, pk: int) -> Dataset | None:
    """The dataset with this id whether or not the caller may see it.

    Only for recording a request by reference, whose response is the same either way;
    nothing read here may reach the requester.
    """
    return Dataset.objects.select_related("team", "steward").filter(pk=pk).first()


def _for_asset_types():
    """Asset types a request can be for: datasets and, as later issues add them, experiments and models.

    Parts of a dataset (versions) and glossary terms are not things one needs data *for*.
    """
    for registered in asset_types():
        model = registered.model
        if not hasattr(model._default_manager.all(), "restrict"):
            continue
        if registered.section == "catalog" and model is not Dataset:
            continue
        yield registered


def access_for_asset_choices(*, user) -> list[tuple[str, str]]:
    """Assets `user` can see that a request may be for, as ("app.model:pk", "Type: name") choices."""
    choices: list[tuple[str, str]] = []
    for registered in _for_asset_types():
        manager = registered.model._default_manager.all()
        key = registered.model._meta.label_lower
        rows = manager.restrict(user, Action.VIEW).order_by("-pk")[:FOR_ASSET_CHOICES_PER_TYPE]
        choices.extend((f"{key}:{row.pk}", f"{registered.label}: {row}") for row in rows)
    return choices


def access_for_asset_resolve(*, user, value: str):
    """The visible asset a choice value names, or None (unknown, malformed or invisible)."""
    key, _, pk = (value or "").partition(":")
    app_label, _, model_name = key.partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
    except ContentType.DoesNotExist:
        return None
    model = content_type.model_class()
    if model is None or not any(t.model is model for t in _for_asset_types()):
        return None
    manager = model._default_manager.all()
    try:
        return manager.restrict(user, Action.VIEW).filter(pk=pk).first()
    except (ValueError, TypeError):
        return None

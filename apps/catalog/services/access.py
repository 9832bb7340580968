"""Access requests: ask for a private dataset, approve or deny, withdraw, and expire with the grant.

Approval grants `view_dataset` to the requester through the direct-FK guardian table
(DatasetUserObjectPermission) until `expires_at`; `access_requests_expire` (a scheduled
job) removes expired grants. Every step is in the request's history and notifies the
people involved through `apps.core.notifications` (delivered by the community app).
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps.catalog.models import AccessRequest, AccessRequestStatus, Dataset
from apps.core.assets import is_asset
from apps.core.history import acting_user
from apps.core.notifications import notify, register_event_type
from apps.core.permissions import Action, Role

EVENT_REQUESTED = "catalog.access_requested"
EVENT_DECIDED = "catalog.access_decided"
EVENT_EXPIRED = "catalog.access_expired"
EVENT_WITHDRAWN = "catalog.access_withdrawn"

register_event_type(EVENT_REQUESTED, label="Someone asks for access to a dataset you steward or approve for")
register_event_type(EVENT_DECIDED, label="Your access request is approved or denied")
register_event_type(EVENT_EXPIRED, label="Your access to a dataset has expired")
register_event_type(
    EVENT_WITHDRAWN, label="An access request waiting for you was withdrawn", email_by_default=False
)

MIN_DAYS, MAX_DAYS = 1, 365
VIEW_PERMISSION = "catalog.view_dataset"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "Atrium"


def access_approvers(*, dataset: Dataset) -> list:
    """Who may decide requests on `dataset`: its steward and the owning team's members with `approve`."""
    membership = apps.get_model("teams", "Membership")
    from apps.core.permissions import roles_allowed

    approvers = {
        m.user.pk: m.user
        for m in membership.objects.filter(
            team_id=dataset.team_id, role__in=roles_allowed(Action.APPROVE)
        ).select_related("user")
    }
    if dataset.steward_id and dataset.steward is not None:
        approvers[dataset.steward_id] = dataset.steward
    return list(approvers.values())


def dataset_has_row_access(*, user, dataset: Dataset) -> bool:
    """Whether `user` may read the dataset's rows: a member of its team, an explicit grant, or superuser.

    Internal visibility shows a dataset's description to everyone; its rows (preview,
    downloads) need membership or a grant, which an approved access request gives.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    membership = apps.get_model("teams", "Membership")
    if membership.objects.filter(user_id=user.pk, team_id=dataset.team_id, role__in=Role.values).exists():
        return True
    user_grants, group_grants = Dataset.user_grant_model, Dataset.group_grant_model
    codename = "view_dataset"
    return (
        user_grants.objects.filter(
            user_id=user.pk, content_object_id=dataset.pk, permission__codename=codename
        ).exists()
        or group_grants.objects.filter(
            group__user__id=user.pk, content_object_id=dataset.pk, permission__codename=codename
        ).exists()
    )


def _clean_columns(dataset: Dataset, columns) -> list[str]:
    """The requested column names that the dataset has, in its column order (unknown names dropped)."""
    wanted = {str(name).strip() for name in (columns or []) if str(name).strip()}
    if not wanted:
        return []
    return list(
        dataset.columns.filter(name__in=wanted).order_by("position", "name").values_list("name", flat=True)
    )


def access_for_asset_check(*, user, for_asset: models.Model | None) -> None:
    """The asset a request is for must be a registered asset the requester can see."""
    if for_asset is None:
        return
    manager = type(for_asset)._default_manager.all()
    if not is_asset(for_asset) or not hasattr(manager, "restrict"):
        raise ValidationError({"for_asset": "Choose an experiment, model or dataset from the list."})
    if not manager.restrict(user, Action.VIEW).filter(pk=for_asset.pk).exists():
        raise ValidationError({"for_asset": "Choose an experiment, model or dataset from the list."})


def access_request_validate(*, purpose: str, duration_days) -> dict:
    """Field checks that never depend on the dataset (so the by-reference form leaks nothing)."""
    errors = {}
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = "Say what you need the data for; the steward decides on it."
    try:
        days = int(duration_days)
    except (TypeError, ValueError):
        days = None
    if days is None or not MIN_DAYS <= days <= MAX_DAYS:
        errors["duration_days"] = f"Choose a duration from {MIN_DAYS} to {MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    return {"purpose": purpose, "duration_days": days}


@transaction.atomic
def access_request_create(
    *,
    dataset: Dataset,
    requester,
    purpose: str,
    duration_days: int = 30,
    columns=(),
    for_asset: models.Model | None = None,
) -> AccessRequest:
    """Record a request for `dataset` and notify its steward and data officers."""
    cleaned = access_request_validate(purpose=purpose, duration_days=duration_days)
    access_for_asset_check(user=requester, for_asset=for_asset)
    if AccessRequest.objects.filter(
        dataset=dataset, requester=requester, status=AccessRequestStatus.PENDING
    ).exists():
        raise ValidationError("You already have a pending request for this dataset.", code="duplicate")
    access_request = AccessRequest(
        dataset=dataset,
        requester=requester,
        columns=_clean_columns(dataset, columns),
        **cleaned,
    )
    if for_asset is not None:
        access_request.for_type = ContentType.objects.get_for_model(for_asset)
        access_request.for_id = str(for_asset.pk)
    with acting_user(requester):
        access_request.save()
    notify(
        recipients=access_approvers(dataset=dataset),
        event=EVENT_REQUESTED,
        actor=requester,
        target=access_request,
        message=f"{_name(requester)} asks for access to “{dataset.name}” for {cleaned['duration_days']} days",
        url=access_request.get_absolute_url(),
    )
    return access_request


def access_request_user_may(*, user, access_request: AccessRequest, action: str) -> bool:
    """Whether `user` may take `action` on a request (approve: steward, approvers of the team, superuser)."""
    return AccessRequest.objects.restrict(user, action).filter(pk=access_request.pk).exists()


def _locked(access_request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update()
        .select_related("dataset", "requester")
        .get(pk=access_request.pk)
    )


def _require_pending(access_request: AccessRequest) -> None:
    if access_request.status != AccessRequestStatus.PENDING:
        raise ValidationError(
            f"This request is already {access_request.get_status_display().lower()}; it cannot change now."
        )


def _tell_requester(
    access_request: AccessRequest, *, event: str, actor, text: str, had_access: bool = False
) -> None:
    """Notify the requester; the dataset's name only if they can see it (or could until now)."""
    dataset = access_request.dataset
    visible = had_access or (
        Dataset.objects.restrict(access_request.requester, Action.VIEW).filter(pk=dataset.pk).exists()
    )
    subject = f"“{dataset.name}”" if visible else f"dataset #{dataset.pk}"
    notify(
        recipients=[access_request.requester],
        event=event,
        actor=actor,
        target=access_request,
        message=text.format(dataset=subject),
        url=access_request.get_absolute_url(),
    )


@transaction.atomic
def access_request_approve(*, access_request: AccessRequest, by, note: str = "") -> AccessRequest:
    """Grant the requester `view_dataset` until the request's duration runs out."""
    if not access_request_user_may(user=by, access_request=access_request, action=Action.APPROVE):
        raise PermissionDenied("Only the dataset's steward or its team's data officers decide access.")
    access_request = _locked(access_request)
    _require_pending(access_request)
    now = timezone.now()
    access_request.status = AccessRequestStatus.APPROVED
    access_request.decided_by, access_request.decided_at = by, now
    access_request.decision_note = (note or "").strip()
    access_request.expires_at = now + timedelta(days=access_request.duration_days)
    with acting_user(by):
        access_request.save()
    assign_perm(VIEW_PERMISSION, access_request.requester, access_request.dataset)
    _tell_requester(
        access_request,
        event=EVENT_DECIDED,
        actor=by,
        text=f"{_name(by)} approved your access to {{dataset}} until {access_request.expires_at:%Y-%m-%d}",
    )
    return access_request


@transaction.atomic
def access_request_deny(*, access_request: AccessRequest, by, note: str = "") -> AccessRequest:
    """Refuse a pending request, with a note the requester reads."""
    if not access_request_user_may(user=by, access_request=access_request, action=Action.APPROVE):
        raise PermissionDenied("Only the dataset's steward or its team's data officers decide access.")
    access_request = _locked(access_request)
    _require_pending(access_request)
    access_request.status = AccessRequestStatus.DENIED
    access_request.decided_by, access_request.decided_at = by, timezone.now()
    access_request.decision_note = (note or "").strip()
    with acting_user(by):
        access_request.save()
    _tell_requester(
        access_request,
        event=EVENT_DECIDED,
        actor=by,
        text=f"{_name(by)} denied your access request to {{dataset}}",
    )
    return access_request


@transaction.atomic
def access_request_withdraw(*, access_request: AccessRequest, by) -> AccessRequest:
    """The requester takes back a pending request; the approvers are told."""
    if access_request.requester_id != by.pk:
        raise PermissionDenied("Only the person who asked may withdraw a request.")
    access_request = _locked(access_request)
    _require_pending(access_request)
    access_request.status = AccessRequestStatus.WITHDRAWN
    with acting_user(by):
        access_request.save()
    notify(
        recipients=access_approvers(dataset=access_request.dataset),
        event=EVENT_WITHDRAWN,
        actor=by,
        target=access_request,
        message=f"{_name(by)} withdrew the request for “{access_request.dataset.name}”",
        url=access_request.get_absolute_url(),
    )
    return access_request


def _revoke_grant(access_request: AccessRequest) -> None:
    """Remove the requester's grant unless another approved, unexpired request still covers it."""
    still_covered = (
        AccessRequest.objects.filter(
            dataset_id=access_request.dataset_id,
            requester_id=access_request.requester_id,
            status=AccessRequestStatus.APPROVED,
            expires_at__gt=timezone.now(),
        )
        .exclude(pk=access_request.pk)
        .exists()
    )
    if not still_covered:
        remove_perm(VIEW_PERMISSION, access_request.requester, access_request.dataset)


@transaction.atomic
def access_request_revoke(*, access_request: AccessRequest, by, note: str = "") -> AccessRequest:
    """End an approved access before its expiry (steward or data officer)."""
    if not access_request_user_may(user=by, access_request=access_request, action=Action.APPROVE):
        raise PermissionDenied("Only the dataset's steward or its team's data officers revoke access.")
    access_request = _locked(access_request)
    if access_request.status != AccessRequestStatus.APPROVED:
        raise ValidationError("Only an approved access can be revoked.")
    access_request.status = AccessRequestStatus.REVOKED
    access_request.decision_note = (note or access_request.decision_note or "").strip()
    with acting_user(by):
        access_request.save()
    _revoke_grant(access_request)
    _tell_requester(
        access_request,
        event=EVENT_DECIDED,
        actor=by,
        text=f"{_name(by)} revoked your access to {{dataset}}",
        had_access=True,
    )
    return access_request


def access_requests_expire(*, now=None, limit: int = 1000) -> dict[str, int]:
    """Expire approved requests past their end: revoke the grant, mark expired, tell the requester."""
    now = now or timezone.now()
    due = AccessRequest.objects.filter(status=AccessRequestStatus.APPROVED, expires_at__lte=now).order_by(
        "expires_at"
    )
    expired = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            access_request = (
                AccessRequest.objects.select_for_update()
                .select_related("dataset", "requester")
                .filter(pk=pk, status=AccessRequestStatus.APPROVED, expires_at__lte=now)
                .first()
            )
            if access_request is None:  # decided otherwise meanwhile, or expired by a parallel run
                continue
            access_request.status = AccessRequestStatus.EXPIRED
            with acting_user(None):
                access_request._change_reason = "expired"
                access_request.save()
            _revoke_grant(access_request)
            _tell_requester(
                access_request,
                event=EVENT_EXPIRED,
                actor=None,
                text="Your access to {dataset} has expired; ask again if you still need it",
                had_access=True,
            )
            expired += 1
    return {"expired": expired}

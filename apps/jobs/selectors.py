"""Reads for background jobs, always through Job.objects.restrict."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from apps.core.permissions import Action
from apps.jobs.models import Job, JobStatus


def job_list(*, user, status: str = "", kind: str = "", mine: bool = False) -> QuerySet[Job]:
    """Jobs `user` may see, newest first, filtered by status, kind and (optionally) requester."""
    jobs = Job.objects.restrict(user, Action.VIEW).select_related("requester", "team")
    if status in JobStatus.values:
        jobs = jobs.filter(status=status)
    elif status == "active":
        jobs = jobs.active()
    if kind:
        jobs = jobs.filter(kind=kind)
    if mine:
        jobs = jobs.filter(requester_id=user.pk)
    return jobs.order_by("-created_at", "-pk")


def job_get(*, user, pk, action: str = Action.VIEW) -> Job:
    """The job if `user` may take `action` on it, else 404."""
    return get_object_or_404(
        Job.objects.restrict(user, action).select_related("requester", "team", "target_type"), pk=pk
    )


def job_user_may(*, user, job: Job, action: str) -> bool:
    """Whether `user` may take `action` (e.g. run, which includes cancel) on a job they can see."""
    return Job.objects.restrict(user, action).filter(pk=job.pk).exists()


def job_history(*, job: Job, limit: int = 20) -> list:
    """The job's status transitions, newest first, with who caused them; `job` comes from restrict."""
    return list(job.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit])


def job_target(*, user, job: Job):
    """The asset the job worked on, if it still exists and `user` may see it."""
    if job.target_type_id is None or not job.target_id:
        return None
    model = job.target_type.model_class()
    if model is None:
        return None
    manager = model._default_manager
    queryset = manager.restrict(user, Action.VIEW) if hasattr(manager, "restrict") else manager.none()
    try:
        return queryset.filter(pk=job.target_id).first()
    except (ValueError, TypeError):
        return None

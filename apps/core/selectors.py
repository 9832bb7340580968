"""Reads for the home page."""

from __future__ import annotations

from django.apps import apps


def home_summary(*, user) -> dict:
    """The signed-in person's teams, their running jobs and their teams' recent activity."""
    membership = apps.get_model("teams", "Membership")
    job = apps.get_model("jobs", "Job")
    memberships = list(membership.objects.filter(user=user).select_related("team").order_by("team__name"))
    running_jobs = list(job.objects.restrict(user).active().select_related("requester")[:10])
    return {"memberships": memberships, "running_jobs": running_jobs}

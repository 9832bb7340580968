"""API filters for jobs."""

import django_filters

from apps.jobs.models import Job, JobStatus


class JobFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices, help_text="One or more statuses.")
    kind = django_filters.CharFilter(help_text="A job kind, e.g. jobs.demo_countdown.")
    team = django_filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    requester = django_filters.CharFilter(
        field_name="requester__username", help_text="Username of who started it."
    )

    class Meta:
        model = Job
        fields = ["status", "kind", "team", "requester"]

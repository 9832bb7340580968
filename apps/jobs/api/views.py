"""/api/v1/jobs/: list and read jobs through restrict, start user-startable kinds, cancel."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import RestrictedViewSetMixin
from apps.core.permissions import Action
from apps.jobs.api.filtersets import JobFilterSet
from apps.jobs.api.serializers import JobCreateSerializer, JobSerializer
from apps.jobs.models import Job
from apps.jobs.services import JobNotActive, job_cancel, job_enqueue


class JobConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The job has already finished."
    default_code = "conflict"


class JobViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Background jobs you may see (you started them, or your team's); progress 0–100 while they run."""

    queryset = Job.objects.select_related("requester", "team", "target_type").order_by("-created_at", "-pk")
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    ordering_fields = ["created_at", "started_at", "finished_at", "status", "kind", "progress"]
    search_fields = ["kind", "progress_message"]
    # Starting a job needs no object right: the kind must be startable and the team's run right is checked.
    action_permissions = {"create": Action.VIEW, "cancel": Action.RUN}

    def get_serializer_class(self):
        if self.action == "create":
            return JobCreateSerializer
        return JobSerializer

    @extend_schema(request=JobCreateSerializer, responses={201: JobSerializer})
    def create(self, request, *args, **kwargs):
        """Start a job of a kind people may start; invalid params give field errors."""
        serializer = JobCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = job_enqueue(
            kind=data["kind"], requester=request.user, team=data.get("team"), params=data["params"]
        )
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued job, or ask a running one to stop (409 if it has finished)."""
        job = self.get_object()
        try:
            job = job_cancel(job=job, by=request.user)
        except JobNotActive as exc:
            raise JobConflict(str(exc)) from exc
        return Response(JobSerializer(job, context=self.get_serializer_context()).data)

"""Notifications over REST: the caller's own, with mark read and mark all read."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.community import services
from apps.community.api.serializers import NotificationSerializer
from apps.community.models import Notification
from apps.core.api.viewsets import RestrictedReadOnlyViewSet


class NotificationViewSet(RestrictedReadOnlyViewSet):
    """The caller's notifications, newest first; `?unread=true` for unread ones only."""

    queryset = Notification.objects.select_related("actor")
    serializer_class = NotificationSerializer
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at"]
    search_fields = ["message"]
    filterset_fields = ["event"]
    # Marking read is the recipient's act on their own row: `restrict` already limits rows to them.
    action_permissions = {"read": "view", "read_all": "view"}

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}:
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(notification=notification, by=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})

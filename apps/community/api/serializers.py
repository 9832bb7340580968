"""API representation of notifications."""

from rest_framework import serializers

from apps.community.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """One notification of the signed-in person."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    target_type = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id", "event", "message", "url", "actor", "target_type", "target_id",
            "created_at", "read_at", "unread",
        ]  # fmt: skip
        read_only_fields = fields

    def get_target_type(self, notification: Notification) -> str | None:
        # target_type_id only: the content type itself comes from Django's cache, no query per row.
        if notification.target_type_id is None:
            return None
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_id(notification.target_type_id).model

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None

"""Community: notifications and notification preferences (threads, ideas and follows come later)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.urls import reverse
from simple_history.models import HistoricalRecords


def visible_target_q(user) -> Q:
    """Q matching notifications without a target or whose target `user` may view.

    One subquery per target type, each that model's own `restrict(user, "view")`; a deleted
    target matches nothing. `target_id` is text (any primary key), so the ids are cast to text.
    """
    from apps.core.notifications import notification_target_models

    condition = Q(target_type__isnull=True)
    for model in notification_target_models():
        visible = (
            model._default_manager.all()
            .restrict(user, "view")
            .order_by()
            .annotate(notification_target_key=Cast("pk", output_field=models.CharField(max_length=64)))
            .values("notification_target_key")
        )
        condition |= Q(target_type_id=ContentType.objects.get_for_model(model).pk, target_id__in=visible)
    return condition


class NotificationQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "NotificationQuerySet":
        """A notification is its recipient's alone (superusers included: an inbox is personal), and
        only while they may still see its target: losing access to a dataset, a team or a grant
        hides what was said about it (inbox, badge, API, emails, digest) until access returns."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(recipient_id=user.pk).filter(visible_target_q(user))

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One event told to one person: in the in-app inbox, and by email when they want it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    # No history: a notification is itself a record of an event; read/emailed times are bookkeeping.
    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.message}"

    def get_absolute_url(self) -> str:
        return reverse("community:notification_open", kwargs={"pk": self.pk})


class NotificationPreferenceQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "NotificationPreferenceQuerySet":
        """Preferences are their owner's."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)


class NotificationPreference(models.Model):
    """How one person wants to hear about one kind of event: in the inbox, by email, or in a daily digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=64)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    digest = models.BooleanField(default=False, help_text="Batch emails into one daily digest.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationPreferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["user", "event"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"

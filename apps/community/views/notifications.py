"""The notification inbox: list, open, mark read, mark all read, the unread badge and preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView, TemplateView, View

from apps.community import selectors, services
from apps.core.notifications import event_types


class NotificationListView(LoginRequiredMixin, ListView):
    """The signed-in person's inbox, unread first to catch the eye, with mark-read buttons."""

    template_name = "community/notification_list.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self):
        self.unread_only = self.request.GET.get("show") == "unread"
        return selectors.notification_list(user=self.request.user, unread_only=self.unread_only)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unread_only=self.unread_only,
            unread_count=selectors.notification_unread_count(user=self.request.user),
            **kwargs,
        )


def _safe_target(request, url: str) -> str:
    """Only same-site paths: a notification's URL must never send someone elsewhere."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return ""


class NotificationOpenView(LoginRequiredMixin, View):
    """Mark a notification read and go to what it is about."""

    def get(self, request, pk):
        notification = selectors.notification_get(user=request.user, pk=pk)
        services.notification_mark_read(notification=notification, by=request.user)
        return redirect(_safe_target(request, notification.url) or "community:notification_list")


class NotificationMarkReadView(LoginRequiredMixin, View):
    """Mark one notification read (POST); htmx gets the updated row back."""

    def post(self, request, pk):
        notification = selectors.notification_get(user=request.user, pk=pk)
        services.notification_mark_read(notification=notification, by=request.user)
        if request.htmx:
            return render(request, "community/_notification_row.html", {"notification": notification})
        return redirect(_safe_target(request, request.POST.get("next", "")) or "community:notification_list")


class NotificationMarkAllReadView(LoginRequiredMixin, View):
    """Mark every unread notification of the signed-in person read (POST)."""

    def post(self, request):
        count = services.notifications_mark_all_read(user=request.user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return redirect("community:notification_list")


class NotificationBadgeView(LoginRequiredMixin, TemplateView):
    """The top bar's bell with the unread count, loaded by htmx so pages pay no extra query."""

    template_name = "community/_notification_badge.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unread_count=selectors.notification_unread_count(user=self.request.user), **kwargs
        )


class NotificationPreferencesView(LoginRequiredMixin, TemplateView):
    """Per event type: show in the inbox, send by email, batch into a daily digest."""

    template_name = "community/notification_preferences.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            preferences=selectors.notification_preferences(user=self.request.user), **kwargs
        )

    def post(self, request):
        for event in event_types():
            services.notification_preference_set(
                user=request.user,
                event=event.name,
                in_app=request.POST.get(f"{event.name}:in_app") == "on",
                email=request.POST.get(f"{event.name}:email") == "on",
                digest=request.POST.get(f"{event.name}:digest") == "on",
            )
        messages.success(request, "Notification settings saved.")
        return redirect("community:notification_preferences")

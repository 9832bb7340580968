"""Announcement pages: current, scheduled and past ones; post, edit, end; dismiss from the home page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.generic import FormView, ListView, TemplateView, View

from apps.community.forms.announcements import ORGANISATION, AnnouncementForm
from apps.community.models import Announcement
from apps.community.selectors import announcements as selectors
from apps.community.selectors.assets import asset_from_key, asset_key, asset_picker_choices, resolve_assets
from apps.community.services import announcements as services

SCOPES = [("current", "Current"), ("scheduled", "Scheduled"), ("past", "Past"), ("all", "All")]


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = "audience" if field == "team" else field
            for item in errors:
                form.add_error(target if target in form.fields else None, item)
    else:
        form.add_error(None, error)


class AnnouncementListView(LoginRequiredMixin, ListView):
    """Announcements for the signed-in person: current, scheduled, past or all."""

    template_name = "community/announcement_list.html"
    paginate_by = 25
    context_object_name = "announcements"

    def get_queryset(self):
        scope = self.request.GET.get("scope", "current")
        self.scope = scope if scope in dict(SCOPES) else "current"
        return selectors.announcement_list(user=self.request.user, scope=self.scope)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            scope=self.scope,
            scopes=SCOPES,
            announcement_views=selectors.announcement_views(user=user, announcements=context["page_obj"]),
            can_post=selectors.announcement_user_may_post_anywhere(user=user),
        )
        return context


class AnnouncementMixin(LoginRequiredMixin):
    """Loads the announcement through `restrict` (404 when the user is not in its audience)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.announcement = selectors.announcement_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def check_may_change(self) -> None:
        if not services.announcement_user_may_change(user=self.request.user, announcement=self.announcement):
            raise PermissionDenied(
                "Only its author or the team's data officers may change this announcement."
            )


class AnnouncementView(AnnouncementMixin, TemplateView):
    """One announcement with its audience, dates and the asset it is about."""

    template_name = "community/announcement_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        (view,) = selectors.announcement_views(user=user, announcements=[self.announcement])
        return super().get_context_data(
            announcement=self.announcement,
            view=view,
            can_change=services.announcement_user_may_change(user=user, announcement=self.announcement),
            **kwargs,
        )


def _audiences(user) -> list[tuple[str, str]]:
    choices = []
    if services.announcement_user_may_post(user=user, team=None):
        choices.append((ORGANISATION, "The whole organisation"))
    choices += [(team.slug, team.name) for team in selectors.announcement_postable_teams(user=user)]
    return choices


def _asset(user, key: str):
    """The asset chosen in the form (None when empty); ValueError when unknown or hidden."""
    return asset_from_key(user=user, key=key) if key else None


class AnnouncementCreateView(LoginRequiredMixin, FormView):
    """Post an announcement (data officers to their teams; staff data officers to everyone)."""

    template_name = "community/announcement_form.html"
    form_class = AnnouncementForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.audiences = _audiences(request.user)
        if not self.audiences:
            raise PermissionDenied("Only data officers post announcements.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "audiences": self.audiences,
            "asset_choices": asset_picker_choices(user=self.request.user),
        }

    def get_initial(self):
        return {"asset": self.request.GET.get("asset", "")}

    def form_valid(self, form):
        from apps.teams.models import Team

        data = form.cleaned_data
        audience = data["audience"]
        team = None if audience == ORGANISATION else Team.objects.filter(slug=audience).first()
        try:
            announcement = services.announcement_create(
                by=self.request.user,
                team=team,
                title=data["title"],
                body=data["body"],
                severity=data["severity"],
                starts_at=data["starts_at"],
                expires_at=data["expires_at"],
                asset=_asset(self.request.user, data["asset"]),
            )
        except ValueError as error:
            form.add_error("asset", str(error))
            return self.form_invalid(form)
        except ValidationError as error:
            _errors_to_form(form, error)
            return self.form_invalid(form)
        where = announcement.team.name if announcement.team else "the whole organisation"
        messages.success(self.request, f"Announced “{announcement.title}” to {where}.")
        return redirect(announcement)


class AnnouncementEditView(AnnouncementMixin, FormView):
    """Edit an announcement's text, severity, dates and asset."""

    template_name = "community/announcement_form.html"
    form_class = AnnouncementForm

    def get(self, request, *args, **kwargs):
        self.check_may_change()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.check_may_change()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        announcement = self.announcement
        kwargs = {
            **super().get_form_kwargs(),
            "announcement": announcement,
            "asset_choices": asset_picker_choices(user=self.request.user),
        }
        if announcement.asset_type_id and self.request.method != "POST":
            found = resolve_assets(
                user=self.request.user, keys=[(announcement.asset_type_id, announcement.asset_id)]
            )
            asset = next(iter(found.values()), None)
            kwargs["initial"] = {**kwargs.get("initial", {}), "asset": asset_key(asset) if asset else ""}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(announcement=self.announcement, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        announcement = Announcement.objects.select_related("team").get(pk=self.announcement.pk)
        changes = {name: data[name] for name in ("title", "body", "severity", "expires_at")}
        if data["starts_at"]:
            changes["starts_at"] = data["starts_at"]
        try:
            changes["asset"] = _asset(self.request.user, data["asset"])
            services.announcement_update(announcement=announcement, by=self.request.user, **changes)
        except ValueError as error:
            form.add_error("asset", str(error))
            return self.form_invalid(form)
        except ValidationError as error:
            _errors_to_form(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{announcement.title}”.")
        return redirect(announcement)


class AnnouncementEndView(AnnouncementMixin, View):
    """Stop showing the announcement now (POST)."""

    def post(self, request, *args, **kwargs):
        self.check_may_change()
        services.announcement_end(announcement=self.announcement, by=request.user)
        messages.success(request, f"“{self.announcement.title}” no longer shows on home pages.")
        return redirect(self.announcement)


class AnnouncementDismissView(AnnouncementMixin, View):
    """Hide the announcement from the signed-in person's home page (POST; htmx removes the card)."""

    def post(self, request, *args, **kwargs):
        services.announcement_dismiss(announcement=self.announcement, by=request.user)
        if request.htmx:
            return HttpResponse("")
        messages.success(request, "Announcement dismissed.")
        return redirect("home")

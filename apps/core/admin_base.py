"""The data-officer admin: every ModelAdmin scoped to the teams where the user is data officer.

Permissions come from team roles, not from Django's global model permissions:
a data officer (staff, with the `manage` action in a team) sees, edits and
reverts only their teams' objects and needs no global permission at all; a
superuser sees everything; a staff user with no data-officer role sees nothing.
Another team's object is a 404 (or the admin's "does not exist" redirect) on
every admin URL: change, delete, history and revert.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

from apps.core.permissions import Action
from apps.core.querysets import member_team_ids

_CACHE_ATTRIBUTE = "_atrium_admin_scope"


class AtriumAdminSite(admin.AdminSite):
    """Django's admin site, with "view on site" scoped like every other admin page."""

    site_header = "Atrium administration"
    site_title = "Atrium admin"
    index_title = "Your teams' objects"

    def get_urls(self):
        from django.urls import path

        scoped = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [scoped if getattr(url, "name", None) == "view_on_site" else url for url in super().get_urls()]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the object's page only if the user's admin may see it; 404 otherwise.

        Django's shortcut redirects for any existing object, which tells a staff
        user that another team's object exists.
        """
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        if not (request.user.is_active and request.user.is_superuser):
            try:
                model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
                model_admin = self._registry.get(model)
                if model_admin is None or not model_admin.get_queryset(request).filter(pk=object_id).exists():
                    raise Http404
            except (ValueError, TypeError, ValidationError, ContentType.DoesNotExist):
                raise Http404 from None
        return shortcut(request, content_type_id, object_id)


def officer_team_ids(request) -> frozenset[int]:
    """Ids of the teams where the request's user may manage (data officer); cached per request."""
    cache = request.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    if "teams" not in cache:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            cache["teams"] = frozenset()
        else:
            cache["teams"] = frozenset(member_team_ids(user, Action.MANAGE).values_list("team_id", flat=True))
    return cache["teams"]


class TeamScopedAdmin(SimpleHistoryAdmin):
    """A SimpleHistoryAdmin whose rows, permissions and team choices follow the user's teams.

    Subclasses say which field holds the owning team (`team_field`; None when
    the model is the team itself) and what a data officer may do beyond
    viewing (`officer_may_add`, `officer_may_change`, `officer_may_delete`).
    """

    team_field: str | None = "team"
    officer_may_add = True
    officer_may_change = True
    officer_may_delete = True
    superuser_only = False

    # --- scope -------------------------------------------------------------
    def is_superuser(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def is_officer(self, request) -> bool:
        return not self.superuser_only and bool(officer_team_ids(request))

    def scoped_queryset(self, request, queryset: models.QuerySet) -> models.QuerySet:
        """Rows a data officer may manage: through the model's `restrict`, else a team filter."""
        if hasattr(queryset, "restrict"):
            return queryset.restrict(request.user, Action.MANAGE)
        lookup = f"{self.team_field}__in" if self.team_field else "pk__in"
        return queryset.filter(**{lookup: officer_team_ids(request)})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.is_superuser(request):
            return queryset
        if not self.is_officer(request):
            return queryset.none()
        return self.scoped_queryset(request, queryset)

    def team_id_of(self, obj) -> int | None:
        if self.team_field is None:
            return obj.pk
        return getattr(obj, f"{self.team_field}_id", None)

    def in_scope(self, request, obj) -> bool:
        """Whether `obj` (live, or a historical instance of a deleted row) is the user's to manage."""
        if self.is_superuser(request):
            return True
        if not self.is_officer(request):
            return False
        cache = request.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
        key = (self.model._meta.label_lower, obj.pk, self.team_id_of(obj))
        if key not in cache:
            live = self.model._default_manager.filter(pk=obj.pk)
            if obj.pk is not None and live.exists():
                cache[key] = self.get_queryset(request).filter(pk=obj.pk).exists()
            else:  # not saved yet, or deleted: judge by the team it belongs (or belonged) to
                cache[key] = self.team_id_of(obj) in officer_team_ids(request)
        return cache[key]

    # --- permissions from team roles, not global model permissions ---------
    def has_module_permission(self, request) -> bool:
        return self.is_superuser(request) or self.is_officer(request)

    def _officer_may(self, request, obj, allowed: bool) -> bool:
        if self.is_superuser(request):
            return True
        if not allowed or not self.is_officer(request):
            return False
        return obj is None or self.in_scope(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._officer_may(request, obj, True)

    def has_add_permission(self, request, *args) -> bool:  # inlines pass the parent object
        return self._officer_may(request, None, self.officer_may_add)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._officer_may(request, obj, self.officer_may_change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._officer_may(request, obj, self.officer_may_delete)

    # --- forms: team choices limited to the user's teams -----------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from apps.teams.models import Team

        if db_field.related_model is Team and not self.is_superuser(request):
            kwargs["queryset"] = Team.objects.filter(pk__in=officer_team_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- history and revert, scoped ----------------------------------------
    def _history_object_or_404(self, request, object_id, version_id=None):
        """The object whose history is asked for, if in scope; 404 otherwise (no existence leak)."""
        history_model = get_history_model_for_model(self.model)
        pk_name = self.model._meta.pk.attname
        object_id = unquote(object_id)
        try:
            obj = self.model._default_manager.filter(**{pk_name: object_id}).first()
            if obj is None:
                records = history_model.objects.filter(**{pk_name: object_id}).order_by("-history_date")
                record = records.first()
                obj = record.instance if record is not None else None
            if obj is None or not self.in_scope(request, obj):
                raise Http404
            if version_id is not None:
                record = history_model.objects.filter(
                    **{pk_name: object_id, "history_id": version_id}
                ).first()
                if record is None or not self.in_scope(request, record.instance):
                    raise Http404
        except (ValueError, TypeError, ValidationError):  # a malformed id is just not found
            raise Http404 from None
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self._history_object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._history_object_or_404(request, object_id, version_id)
        # SimpleHistoryAdmin saves a POST to this view even for view-only users; a revert is a change.
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


class TeamScopedInline(admin.TabularInline):
    """An inline on a team-scoped parent: editable when the parent is in the user's teams."""

    parent_team_field: str | None = None  # None: the parent is the team itself

    def _parent_in_scope(self, request, obj) -> bool:
        if request.user.is_active and request.user.is_superuser:
            return True
        teams = officer_team_ids(request)
        if obj is None:
            return bool(teams)
        team_id = obj.pk if self.parent_team_field is None else getattr(obj, f"{self.parent_team_field}_id")
        return team_id in teams

    def has_view_permission(self, request, obj=None) -> bool:
        return self._parent_in_scope(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent_in_scope(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent_in_scope(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent_in_scope(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from apps.teams.models import Team

        is_superuser = request.user.is_active and request.user.is_superuser
        if db_field.related_model is Team and not is_superuser:
            kwargs["queryset"] = Team.objects.filter(pk__in=officer_team_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

"""Datasets in the data-officer admin: scoped to the officer's teams, saved through the services."""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter

from apps.catalog import services
from apps.catalog.models import AccessRequest, Dataset
from apps.core.admin_base import TeamScopedAdmin


@admin.register(Dataset)
class DatasetAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "visibility", "domain", "updated_at"]
    list_filter = [("team", RelatedOnlyFieldListFilter), "visibility"]
    search_fields = ["name", "slug", "domain", "description"]
    list_select_related = ["team"]
    fields = ["name", "slug", "team", "visibility", "domain", "description", "created_at", "updated_at"]
    readonly_fields = ["slug", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A dataset's team stays put once created (as in the services and the API).
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "team"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        data = {field: getattr(obj, field) for field in services.DATASET_FIELDS if field != "name"}
        if change:
            # Also a revert: `obj` carries the historical values, and all of them are saved.
            services.dataset_update(dataset=obj, by=request.user, name=obj.name, **data)
            return
        created = services.dataset_create(team=obj.team, by=request.user, name=obj.name, **data)
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.dataset_delete(dataset=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for dataset in queryset:
            services.dataset_delete(dataset=dataset, by=request.user)


@admin.register(AccessRequest)
class AccessRequestAdmin(TeamScopedAdmin):
    """Access requests on the officer's teams' datasets: read-only rows, decided through the actions."""

    team_field = "dataset__team"
    # Status, grants and notifications change only through the services (the actions below).
    officer_may_add = False
    officer_may_change = False
    officer_may_delete = False
    list_display = ["id", "dataset", "requester", "status", "duration_days", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["purpose", "requester__username", "dataset__name"]
    list_select_related = ["dataset", "requester"]
    readonly_fields = [
        "dataset", "requester", "purpose", "columns", "duration_days", "status", "decided_by",
        "decided_at", "decision_note", "expires_at", "created_at",
    ]  # fmt: skip
    fields = readonly_fields
    actions = ["approve_selected", "deny_selected"]

    def team_id_of(self, obj) -> int | None:
        return Dataset.objects.filter(pk=obj.dataset_id).values_list("team_id", flat=True).first()

    def _decide(self, request, queryset, operation) -> None:
        from django.contrib import messages
        from django.core.exceptions import PermissionDenied, ValidationError

        from apps.catalog.services import access as access_services

        done, refused = 0, []
        for access_request in queryset:
            try:
                decide = getattr(access_services, f"access_request_{operation}")
                decide(access_request=access_request, by=request.user)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                refused.append(f"#{access_request.pk}: {' '.join(getattr(error, 'messages', [str(error)]))}")
        verb = "Approved" if operation == "approve" else "Denied"
        if done:
            self.message_user(request, f"{verb} {done} request{'s' if done != 1 else ''}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Approve the selected requests (grants access until expiry)")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description="Deny the selected requests")
    def deny_selected(self, request, queryset):
        self._decide(request, queryset, "deny")

"""Datasets in the data-officer admin: scoped to the officer's teams, saved through the services."""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter

from apps.catalog import services
from apps.catalog.models import Dataset
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

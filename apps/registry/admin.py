"""Registered models, versions and aliases in the data-officer admin, scoped to the officer's teams.

Versions are created by registering a run's model (MLflow client, registry pages); here an
officer corrects descriptions and stages, moves aliases between a model's own versions, and
reverts from history.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import ValidationError

from apps.core.admin_base import TeamScopedAdmin, officer_team_ids
from apps.registry import services
from apps.registry.models import (
    ModelAlias,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)


def _team_of_model(registered_model_id) -> int | None:
    return RegisteredModel.objects.filter(pk=registered_model_id).values_list("team_id", flat=True).first()


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their model when it is in scope, edited on their own admin page (if at all)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [])

    def has_view_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_active and (request.user.is_superuser or officer_team_ids(request)))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RegisteredModelTagInline(ReadOnlyInline):
    model = RegisteredModelTag
    fields = ["key", "value"]


class ModelVersionInline(ReadOnlyInline):
    model = ModelVersion
    fields = ["version", "status", "current_stage", "run_uuid", "created_by", "created_at"]
    show_change_link = True


class ModelAliasInline(ReadOnlyInline):
    model = ModelAlias
    fields = ["alias", "model_version", "updated_at"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("model_version__registered_model")


class ModelVersionTagInline(ReadOnlyInline):
    model = ModelVersionTag
    fields = ["key", "value"]


@admin.register(RegisteredModel)
class RegisteredModelAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "visibility", "created_by", "updated_at"]
    list_filter = [("team", RelatedOnlyFieldListFilter), "visibility"]
    search_fields = ["name", "description"]
    list_select_related = ["team", "created_by"]
    fields = ["name", "team", "visibility", "description", "created_by", "created_at", "updated_at"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [ModelVersionInline, ModelAliasInline, RegisteredModelTagInline]

    def get_readonly_fields(self, request, obj=None):
        # A model's team and name stay put: `models:/<name>@alias` URIs in clients name it.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "team", "name"] if obj is not None else readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("RegisteredModelAdminForm", (RegisteredModelAdminForm, form), {})

    def save_model(self, request, obj, form, change):
        # Through the registry's services (also a revert: `obj` carries the historical values).
        if change:
            services.registered_model_update(
                registered_model=RegisteredModel.objects.get(pk=obj.pk),
                by=request.user,
                description=obj.description,
                visibility=obj.visibility,
            )
            obj.refresh_from_db()
            return
        created = services.registered_model_create(
            team=obj.team,
            by=request.user,
            name=obj.name,
            description=obj.description,
            visibility=obj.visibility,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.registered_model_delete(registered_model=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for registered_model in queryset:
            services.registered_model_delete(registered_model=registered_model, by=request.user)


@admin.register(ModelVersion)
class ModelVersionAdmin(TeamScopedAdmin):
    """Versions of the officer's teams' models: description and stage editable, provenance read-only."""

    team_field = "registered_model__team"
    officer_may_add = False  # versions come from registering a run's or a logged model's files
    list_display = ["__str__", "registered_model", "version", "status", "current_stage", "created_at"]
    list_filter = ["status", "current_stage", ("registered_model__team", RelatedOnlyFieldListFilter)]
    search_fields = ["registered_model__name", "run_uuid", "source", "description"]
    list_select_related = ["registered_model"]
    fields = [
        "registered_model", "version", "description", "current_stage", "status", "status_message",
        "source", "storage_location", "run", "run_uuid", "logged_model", "created_by", "user_name",
        "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "registered_model", "version", "status", "status_message", "source", "storage_location", "run",
        "run_uuid", "logged_model", "created_by", "user_name", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ModelVersionTagInline]

    def team_id_of(self, obj) -> int | None:
        return _team_of_model(obj.registered_model_id)

    def save_model(self, request, obj, form, change):
        current = ModelVersion.objects.select_related("registered_model").get(pk=obj.pk)
        services.model_version_update(model_version=current, by=request.user, description=obj.description)
        if obj.current_stage != current.current_stage:
            services.model_version_transition_stage(
                model_version=current, by=request.user, stage=obj.current_stage
            )
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.model_version_delete(model_version=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for version in queryset:
            services.model_version_delete(model_version=version, by=request.user)


class RegisteredModelAdminForm(forms.ModelForm):
    """MLflow's rules for a new model's name (no '/' or ':' …), as an error on the field."""

    def clean_name(self):
        name = self.cleaned_data.get("name")
        if self.instance.pk is None:
            try:
                services.model_name_check(name)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return name


class ModelAliasForm(forms.ModelForm):
    class Meta:
        model = ModelAlias
        fields = ["registered_model", "alias", "model_version"]

    def clean(self):
        cleaned = super().clean()
        model = cleaned.get("registered_model")
        if model is None and self.instance.pk is not None:  # read-only once the alias exists
            model = self.instance.registered_model
        version = cleaned.get("model_version")
        if model is not None and version is not None and version.registered_model_id != model.pk:
            self.add_error("model_version", f"Choose a version of {model.name}.")
        return cleaned

    def clean_alias(self):
        alias = self.cleaned_data.get("alias")
        try:
            return services.alias_check(alias)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


@admin.register(ModelAlias)
class ModelAliasAdmin(TeamScopedAdmin):
    """Aliases (`champion`, `challenger` …) of the officer's teams' models, pointed at their own versions."""

    form = ModelAliasForm
    team_field = "registered_model__team"
    list_display = ["__str__", "registered_model", "alias", "model_version", "updated_at"]
    list_filter = [("registered_model__team", RelatedOnlyFieldListFilter)]
    search_fields = ["alias", "registered_model__name"]
    list_select_related = ["registered_model", "model_version__registered_model"]
    fields = ["registered_model", "alias", "model_version", "updated_at"]
    readonly_fields = ["updated_at"]

    def team_id_of(self, obj) -> int | None:
        return _team_of_model(obj.registered_model_id)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "registered_model", "alias"] if obj is not None else readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only models and versions of the officer's teams may be chosen.
        if db_field.name == "registered_model" and not self.is_superuser(request):
            kwargs["queryset"] = RegisteredModel.objects.filter(team_id__in=officer_team_ids(request))
        if db_field.name == "model_version":
            queryset = ModelVersion.objects.select_related("registered_model")
            if not self.is_superuser(request):
                queryset = queryset.filter(registered_model__team_id__in=officer_team_ids(request))
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the registry's service (also a revert): moving an alias is one history row.
        alias = services.model_alias_set(
            registered_model=obj.registered_model,
            by=request.user,
            alias=obj.alias,
            version=obj.model_version.version,
        )
        obj.pk = alias.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.model_alias_delete(registered_model=obj.registered_model, by=request.user, alias=obj.alias)

    def delete_queryset(self, request, queryset):
        for alias in queryset.select_related("registered_model"):
            self.delete_model(request, alias)

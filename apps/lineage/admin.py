"""Lineage edges in the data-officer admin: the edges an officer may manage, edited through the services.

An edge has no team of its own: an officer manages it when both ends are visible to them and one
end is their team's to manage (`Edge.objects.restrict(user, MANAGE)`). Drawn edges can be
described, renamed, removed and reverted to an earlier version; edges recorded by OpenLineage or
a job belong to their producer and are read-only here (the next run would bring them back).
"""

from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.core.admin_base import TeamScopedAdmin
from apps.lineage import services
from apps.lineage.models import ColumnEdge, Edge, Provenance


class ColumnEdgeInline(admin.TabularInline):
    model = ColumnEdge
    extra = 0
    fields = ["source_column", "target_column", "transformation"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Edge)
class EdgeAdmin(TeamScopedAdmin):
    team_field = None
    officer_may_add = False  # edges are drawn on the lineage pages, where both ends are chosen
    list_display = ["__str__", "provenance", "transformation", "created_by", "updated_at"]
    list_filter = ["provenance"]
    search_fields = ["transformation", "description", "producer"]
    list_select_related = ["source_type", "target_type", "created_by"]
    fields = [
        "source_type", "source_id", "target_type", "target_id", "transformation", "description",
        "provenance", "producer", "created_by", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "source_type", "source_id", "target_type", "target_id", "provenance", "producer", "created_by",
        "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ColumnEdgeInline]

    def in_scope(self, request, obj) -> bool:
        """A live edge by the lineage rule; a deleted one (its history) for superusers only, since
        the assets at its ends may have changed hands since."""
        if obj.pk is not None and Edge.objects.filter(pk=obj.pk).exists():
            return super().in_scope(request, obj)
        return self.is_superuser(request)

    def _is_drawn(self, obj) -> bool:
        return obj is None or obj.provenance == Provenance.USER

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return self._is_drawn(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._is_drawn(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Also a revert: `obj` carries the historical values of the editable fields.
        try:
            services.edge_update(
                edge=obj, by=request.user, transformation=obj.transformation, description=obj.description
            )
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), level="error")

    def delete_model(self, request, obj):
        services.edge_delete(edge=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for edge in queryset.filter(provenance=Provenance.USER):
            services.edge_delete(edge=edge, by=request.user)

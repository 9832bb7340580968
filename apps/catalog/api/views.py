"""Datasets over REST: every read through `restrict`, every write through the catalog's services."""

from apps.catalog import services
from apps.catalog.api.filtersets import DatasetFilterSet
from apps.catalog.api.serializers import DatasetSerializer
from apps.catalog.models import Dataset
from apps.core.api.viewsets import RestrictedModelViewSet


class DatasetViewSet(RestrictedModelViewSet):
    """Datasets the user may see; members with the right role create, edit and delete them."""

    queryset = Dataset.objects.select_related("team")
    serializer_class = DatasetSerializer
    filterset_class = DatasetFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "visibility"]
    ordering = ["name", "id"]
    search_fields = ["name", "description", "domain"]

    def create_object(self, *, data):
        return services.dataset_create(by=self.request.user, **data)

    def update_object(self, *, instance, data):
        data = {field: value for field, value in data.items() if field != "team"}
        return services.dataset_update(dataset=instance, by=self.request.user, **data)

    def delete_object(self, *, instance) -> None:
        services.dataset_delete(dataset=instance, by=self.request.user)

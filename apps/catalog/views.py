from apps.catalog.models import Dataset
from apps.core.views import ObjectListView, ObjectView


class DatasetListView(ObjectListView):
    model = Dataset
    template_name = "catalog/dataset_list.html"

    def base_queryset(self):
        return Dataset.objects.select_related("team")


class DatasetView(ObjectView):
    model = Dataset
    template_name = "catalog/dataset_detail.html"

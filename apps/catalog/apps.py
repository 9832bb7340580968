from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Data catalog"

    def ready(self) -> None:
        from apps.catalog.models import Dataset
        from apps.core.assets import register_asset

        register_asset(Dataset, label="Dataset", icon="table", section="catalog")
        from apps.catalog.models import DatasetVersion  # lineage links versions (runs read and write them)

        register_asset(DatasetVersion, label="Dataset version", icon="versions", section="catalog")
        import apps.catalog.openlineage.jobs  # noqa: F401 - registers the catalog.openlineage_event job kind

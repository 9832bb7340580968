from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Data catalog"

    def ready(self) -> None:
        from apps.catalog.models import Dataset
        from apps.core.assets import register_asset

        register_asset(Dataset, label="Dataset", icon="table", section="catalog")
        from django.db.models.signals import post_migrate

        from apps.catalog import jobs_access  # access expiry: job kind, beat schedule, notification events

        post_migrate.connect(
            jobs_access.ensure_schedule_after_migrate, sender=self, dispatch_uid="catalog-access-expiry"
        )
        from apps.catalog.models import DatasetVersion  # lineage links versions (runs read and write them)

        register_asset(DatasetVersion, label="Dataset version", icon="versions", section="catalog")
        from apps.catalog.models import Column, GlossaryTerm  # discussions and follows on terms and columns

        register_asset(GlossaryTerm, label="Glossary term", icon="book", section="catalog")
        register_asset(Column, label="Column", icon="columns", section="catalog")
        import apps.catalog.jobs  # noqa: F401 - registers catalog.source_test and catalog.source_sync
        import apps.catalog.jobs_profiling  # noqa: F401 - registers the catalog.profile job kind
        import apps.catalog.openlineage.jobs  # noqa: F401 - registers the catalog.openlineage_event job kind
        from apps.catalog import search_documents  # datasets, columns and terms in the one search

        search_documents.register()
        from apps.catalog.models import AccessRequest
        from apps.core.notifications import register_notification_target

        register_notification_target(AccessRequest)  # access requests tell stewards and requesters

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from apps.core.assets import register_asset
        from apps.registry.models import ModelVersion, RegisteredModel

        register_asset(RegisteredModel, label="Registered model", icon="box", section="models")
        register_asset(ModelVersion, label="Model version", icon="versions", section="models")
        from apps.registry import search_documents  # in the one search, with their owners' permissions

        search_documents.register()

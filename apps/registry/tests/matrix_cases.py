"""Cross-team cases for model registry routes (one section per area)."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, matrix_case

# --- admin for registered models, versions and aliases, as pam (data officer of Data Platform) ---
ADMIN_MODEL = "Mule account scorer"


def admin_private_model(world):
    """Fraud's private registered model with a version and a `champion` alias (written directly)."""
    from apps.core.history import acting_user
    from apps.registry.models import ModelAlias, ModelVersion, RegisteredModel

    model = RegisteredModel.objects.filter(team=world.fraud_team, name=ADMIN_MODEL).first()
    if model is None:
        with acting_user(world.alice):
            model = RegisteredModel.objects.create(
                team=world.fraud_team, name=ADMIN_MODEL, visibility="private"
            )
            version = ModelVersion.objects.create(
                registered_model=model,
                version=1,
                source="models:/m-mule-scorer",
                description="Mule scorer v1",
            )
            ModelAlias.objects.create(registered_model=model, alias="champion", model_version=version)
    version = model.versions.get(version=1)
    return model, version, model.aliases.get(alias="champion")


def _register_registry_admin_cases() -> None:
    from apps.experiments.tests.matrix_cases import register_admin_cases

    objects = {
        # admin prefix: (Fraud's object, status of the changelist for pam, status of the add form)
        "registry_registeredmodel": (lambda world: admin_private_model(world)[0], 200, 200),
        "registry_modelversion": (lambda world: admin_private_model(world)[1], 200, 403),
        "registry_modelalias": (lambda world: admin_private_model(world)[2], 200, 200),
    }
    for prefix, spec in objects.items():
        register_admin_cases(prefix, *spec, query="mule")


_register_registry_admin_cases()


@matrix_case("admin:app_list")
def admin_registry_app_list(world):
    admin_private_model(world)
    return Listing(client="pam", kwargs={"app_label": "registry"})

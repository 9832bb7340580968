"""Cross-team cases for model registry routes (one section per area)."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

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


# --- the registry's own pages, API and standard private asset (e6) -------------------------------
PRIVATE_MODEL = "chargeback-shield"
PRIVATE_DESCRIPTION = "Blocks mule accounts before settlement"
PRIVATE_TAG_VALUE = "falcon-squad"


def private_registered_model(world):
    """alice's private model with one version (from a private run), an alias and tags; built once."""
    from apps.registry.models import RegisteredModel
    from apps.registry.services import (
        model_alias_set,
        model_version_create,
        model_version_tag_set,
        registered_model_create,
    )
    from apps.registry.tests.factories import make_experiment, make_run

    found = RegisteredModel.objects.filter(name=PRIVATE_MODEL, team=world.fraud_team).first()
    if found is not None:
        return found
    run = make_run(make_experiment(world.fraud_team, world.alice, name="Chargeback experiments"), world.alice)
    model = registered_model_create(
        team=world.fraud_team,
        by=world.alice,
        name=PRIVATE_MODEL,
        description=PRIVATE_DESCRIPTION,
        tags={"squad": PRIVATE_TAG_VALUE},
    )
    version = model_version_create(
        registered_model=model, by=world.alice, source=f"runs:/{run.uuid}/model", run_id=run.uuid
    )
    model_version_tag_set(model_version=version, by=world.alice, key="squad", value=PRIVATE_TAG_VALUE)
    model_alias_set(registered_model=model, by=world.alice, alias="champion", version="1")
    return model


def internal_registered_model(world):
    """Fraud's internal model bob may see but not change."""
    from apps.registry.models import RegisteredModel
    from apps.registry.services import registered_model_create

    found = RegisteredModel.objects.filter(name="merchant-risk", team=world.fraud_team).first()
    if found is not None:
        return found
    return registered_model_create(
        team=world.fraud_team, by=world.alice, name="merchant-risk", visibility="internal"
    )


@private_asset("registered_model")
def private_registered_model_asset(world) -> list[str]:
    model = private_registered_model(world)
    return [
        PRIVATE_MODEL,
        PRIVATE_DESCRIPTION,
        PRIVATE_TAG_VALUE,
        f"/models/{model.pk}/",
        f"/api/v1/registered-models/{model.pk}/",
    ]


# --- pages ---------------------------------------------------------------------------------------
@matrix_case("registry:model_list", "registry:model_export")
def model_lists(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[{}, {"q": "chargeback"}, {"team": fraud}, {"visibility": "private"}, {"sort": "-versions"}]
    )


@matrix_case(
    "registry:model_detail",
    "registry:model_edit",
    "registry:model_history",
    "registry:alias_set",
    "registered-model-detail",
    "registered-model-aliases",
)
def private_model_routes(world):
    model = private_registered_model(world)
    return Private(kwargs={"pk": model.pk}, obj=model)


@matrix_case("registry:alias_delete")
def private_model_alias_delete(world):
    model = private_registered_model(world)
    return Private(kwargs={"pk": model.pk, "alias": "champion"}, obj=model.aliases.get())


@matrix_case("registry:version_detail")
def private_version_page(world):
    model = private_registered_model(world)
    return Private(kwargs={"pk": model.pk, "version": 1}, obj=model.versions.get())


@matrix_case("model-version-list")
def api_private_versions(world):
    model = private_registered_model(world)
    return Private(kwargs={"model_pk": model.pk}, obj=model)


@matrix_case("model-version-detail")
def api_private_version(world):
    model = private_registered_model(world)
    return Private(kwargs={"model_pk": model.pk, "version": 1}, obj=model.versions.get())


@matrix_case("registry:register_from_run")
def register_from_a_private_run(world):
    model = private_registered_model(world)
    run = model.versions.get().run
    return Private(kwargs={"uuid": run.uuid}, obj=run)


@matrix_case("registry:model_edit", "registry:alias_set", "registered-model-aliases")
def internal_model_changes(world):
    model = internal_registered_model(world)
    return Refused(kwargs={"pk": model.pk}, obj=model, methods=("POST",))


@matrix_case("registered-model-list")
def api_model_list(world):
    fraud = world.fraud_team.slug
    return Listing(queries=[{}, {"search": "chargeback"}, {"team": fraud}, {"visibility": "private"}])

"""Cross-team cases for the model registry: Fraud Analytics' private registered model, its pages and API."""

from __future__ import annotations

from apps.core.testing.matrix import private_asset

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

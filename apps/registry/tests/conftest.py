"""Registry fixtures: a Fraud Analytics experiment with a run and a logged model, and registered models."""

from __future__ import annotations

import pytest

from apps.registry.tests.factories import make_experiment, make_logged_model, make_run


@pytest.fixture
def fraud_experiment(fraud_team, alice):
    return make_experiment(fraud_team, alice)


@pytest.fixture
def fraud_run(fraud_experiment, alice):
    return make_run(fraud_experiment, alice)


@pytest.fixture
def fraud_logged_model(fraud_run, alice):
    return make_logged_model(fraud_run, alice)


@pytest.fixture
def fraud_model(fraud_team, alice):
    from apps.registry.services import registered_model_create

    return registered_model_create(
        team=fraud_team, by=alice, name="fraud", description="Scores card payments for fraud."
    )


@pytest.fixture
def fraud_versions(fraud_model, fraud_run, alice):
    from apps.registry.services import model_version_create

    return [
        model_version_create(
            registered_model=fraud_model,
            by=alice,
            source=f"runs:/{fraud_run.uuid}/model",
            run_id=fraud_run.uuid,
        )
        for _ in range(2)
    ]

"""Cross-team cases for the MLflow routes (one section per area; see apps/core/testing/matrix.py).

Each route is mounted under several prefixes (apps/mlflow_api/urls.py), each with its own route
name (`name`, `name-1`, …). `mlflow_case` registers a case for all of them. The browser's
/ajax-api/ prefix authenticates with the session, which may read but never write: there a write
is refused with 401 before any lookup, whoever owns the object.
"""

from __future__ import annotations

import dataclasses

from apps.core.testing.matrix import Listing, Private, matrix_case, private_asset
from apps.mlflow_api.urls import ARTIFACT_PREFIXES, PREFIXES

SESSION_WRITE_STATUSES = frozenset({401, 404})


def _through_the_session(expectation):
    """The same case on an /ajax-api/ route: reads as through a token, writes refused with 401."""
    if isinstance(expectation, Private):
        return dataclasses.replace(expectation, statuses=SESSION_WRITE_STATUSES)
    if isinstance(expectation, Listing) and expectation.method != "GET":
        return dataclasses.replace(expectation, status=401)
    return expectation


def mlflow_case(*names: str, prefixes=PREFIXES):
    """Register a case for each route name under every prefix it is mounted at."""

    def register(builder):
        for index, prefix in enumerate(prefixes):
            route_names = [
                f"mlflow_api:{name}" if index == 0 else f"mlflow_api:{name}-{index}" for name in names
            ]
            if prefix.startswith("ajax-"):

                def through_the_session(world, builder=builder):
                    return _through_the_session(builder(world))

                through_the_session.__name__ = f"{builder.__name__}_through_the_session"
                matrix_case(*route_names)(through_the_session)
            else:
                matrix_case(*route_names)(builder)
        return builder

    return register


# --- artifacts (mlflow-artifacts proxy) ------------------------------------------------------
PRIVATE_ARTIFACT_EXPERIMENT = "Chargeback rules (artifacts)"
PRIVATE_ARTIFACT_PATH = "rules/falcon-thresholds-v7.json"
PRIVATE_MODEL_NAME = "falcon-gbm-private"


def fraud_artifact_run(world):
    """A run of Fraud's private experiment with one artifact (an index row; no file is written)."""
    from apps.core.history import acting_user
    from apps.experiments.models import Artifact, Experiment, LoggedModel, Run
    from apps.experiments.services.artifacts import artifact_root

    alice = world.alice
    with acting_user(alice):
        experiment, _ = Experiment.objects.get_or_create(
            team=world.fraud_team,
            name=PRIVATE_ARTIFACT_EXPERIMENT,
            defaults={"visibility": "private", "created_by": alice},
        )
        run = Run.objects.filter(experiment=experiment).first() or Run.objects.create(
            experiment=experiment, user=alice, name="falcon-run"
        )
        model = LoggedModel.objects.filter(experiment=experiment).first() or LoggedModel.objects.create(
            experiment=experiment,
            name=PRIVATE_MODEL_NAME,
            source_run=run,
            user=alice,
            tags={"stage": "shadow"},
            params={"max_depth": "7"},
        )
        artifact = Artifact.objects.filter(run=run, path=PRIVATE_ARTIFACT_PATH).first()
        if artifact is None:
            artifact = Artifact.objects.create(
                experiment=experiment,
                run=run,
                path=PRIVATE_ARTIFACT_PATH,
                storage_name=f"{artifact_root(run=run)}/{PRIVATE_ARTIFACT_PATH}",
                size=42,
            )
            Artifact.objects.create(
                experiment=experiment,
                logged_model=model,
                path="MLmodel",
                storage_name=f"{artifact_root(logged_model=model)}/MLmodel",
                size=7,
            )
    return run, model, artifact


@private_asset("artifact")
def private_artifact_asset(world) -> list[str]:
    run, model, _ = fraud_artifact_run(world)
    return ["falcon-thresholds-v7", run.uuid, model.model_id, PRIVATE_MODEL_NAME]


def _run_root(run) -> str:
    return f"{run.experiment_id}/{run.uuid}/artifacts"


def _model_root(model) -> str:
    return f"{model.experiment_id}/models/{model.model_id}/artifacts"


@mlflow_case("artifact", prefixes=ARTIFACT_PREFIXES)
def artifact_of_a_private_run(world):
    run, _, artifact = fraud_artifact_run(world)
    return Private(kwargs={"artifact_path": f"{_run_root(run)}/{PRIVATE_ARTIFACT_PATH}"}, obj=artifact)


@mlflow_case("artifact", prefixes=ARTIFACT_PREFIXES)
def a_new_file_in_a_private_run(world):
    # PUT must not create it, DELETE of the folder must not remove the file below it.
    run, _, artifact = fraud_artifact_run(world)
    return Private(kwargs={"artifact_path": f"{_run_root(run)}/rules"}, obj=artifact)


@mlflow_case("artifact", prefixes=ARTIFACT_PREFIXES)
def artifact_of_a_private_logged_model(world):
    _, model, _ = fraud_artifact_run(world)
    return Private(kwargs={"artifact_path": f"{_model_root(model)}/MLmodel"}, obj=model.artifacts.get())


@mlflow_case("artifacts-list", prefixes=ARTIFACT_PREFIXES)
def listing_a_private_run(world):
    run, _, artifact = fraud_artifact_run(world)
    return Private(kwargs={}, query={"path": _run_root(run)}, obj=artifact, methods=("GET",))


@mlflow_case("artifacts-list", prefixes=ARTIFACT_PREFIXES)
def listing_a_private_logged_model(world):
    _, model, _ = fraud_artifact_run(world)
    return Private(kwargs={}, query={"path": f"{_model_root(model)}/"}, obj=model, methods=("GET",))


@mlflow_case(
    "artifact-mpu-create",
    "artifact-mpu-complete",
    "artifact-mpu-abort",
    "artifact-presigned",
    prefixes=ARTIFACT_PREFIXES,
)
def multipart_on_a_private_run(world):
    run, _, artifact = fraud_artifact_run(world)
    return Private(kwargs={"artifact_path": f"{_run_root(run)}/{PRIVATE_ARTIFACT_PATH}"}, obj=artifact)


# --- logged models, run outputs, MLflow 2's log-model --------------------------------------------
# A write naming another team's run or model by id answers "Run with id=<id> not found": the id
# the caller sent comes back, so only the names count as secrets there (the comparison with the
# objects absent still proves nothing else differs).
ECHOED_IDS = {"standard_assets": False, "secrets": [PRIVATE_MODEL_NAME, "falcon-thresholds-v7"]}


@mlflow_case("logged-model", "logged-model-tags", "logged-model-params")
def a_private_logged_model(world):
    _, model, _ = fraud_artifact_run(world)
    return Private(kwargs={"model_id": model.model_id}, obj=model)


@mlflow_case("logged-model-tag")
def a_tag_of_a_private_logged_model(world):
    _, model, _ = fraud_artifact_run(world)
    return Private(kwargs={"model_id": model.model_id, "tag_key": "stage"}, obj=model)


@mlflow_case("logged-models-create")
def a_model_in_a_private_experiment(world):
    run, _, _ = fraud_artifact_run(world)
    data = {"experiment_id": str(run.experiment_id), "name": "planted", "source_run_id": run.uuid}
    return Listing(method="POST", data=data, status=404, **ECHOED_IDS)


@mlflow_case("logged-models-search")
def searching_a_private_experiment(world):
    run, _, _ = fraud_artifact_run(world)
    ids = [str(run.experiment_id)]
    return Listing(
        method="POST",
        data={
            "experiment_ids": ids,
            "filter": f"name = '{PRIVATE_MODEL_NAME}'",
            "order_by": [{"field_name": "name"}],
        },
    )


@mlflow_case("runs-outputs")
def outputs_of_a_private_run(world):
    run, model, _ = fraud_artifact_run(world)
    data = {"run_id": run.uuid, "models": [{"model_id": model.model_id}]}
    return Listing(method="POST", data=data, status=404, **ECHOED_IDS)


@mlflow_case("runs-log-model")
def a_model_recorded_on_a_private_run(world):
    import json

    run, _, _ = fraud_artifact_run(world)
    model_json = {
        "run_id": run.uuid,
        "artifact_path": "model",
        "utc_time_created": "2025-05-01",
        "flavors": {},
    }
    data = {"run_id": run.uuid, "model_json": json.dumps(model_json)}
    return Listing(method="POST", data=data, status=404, **ECHOED_IDS)


def both(*names: str, prefixes=PREFIXES) -> list[str]:
    """The route names of `names` under every prefix they are mounted at."""
    return [
        f"mlflow_api:{name}" if index == 0 else f"mlflow_api:{name}-{index}"
        for name in names
        for index in range(len(prefixes))
    ]


# --- model registry (e6) ---------------------------------------------------------------------------
# The matrix sends /ajax-api/ requests (`-1` names) with bob's browser session, which MLflow writes
# never accept (401); the token prefixes answer 404.
def _registry_model(world):
    from apps.registry.tests.matrix_cases import private_registered_model

    return private_registered_model(world)


def _registry_secrets() -> list[str]:
    # The name bob asks for comes back in "not found" messages, as it would for a missing model;
    # what must never come back is what only the owners know.
    from apps.registry.tests.matrix_cases import PRIVATE_DESCRIPTION, PRIVATE_TAG_VALUE

    return [PRIVATE_DESCRIPTION, PRIVATE_TAG_VALUE]


def _registry_write(method: str, status: int, **data):
    def build(world):
        model = _registry_model(world)
        body = {
            "name": model.name,
            **{key: value(model) if callable(value) else value for key, value in data.items()},
        }
        return Listing(
            method=method, data=body, status=status, standard_assets=False, secrets=_registry_secrets()
        )

    return build


def _register_write(name: str, method: str, **data) -> None:
    token_names = [f"mlflow_api:{name}", f"mlflow_api:{name}-2"]
    matrix_case(*token_names)(_registry_write(method, 404, **data))
    matrix_case(f"mlflow_api:{name}-1")(_registry_write(method, 401, **data))


@matrix_case(
    *both(
        "registered-models-get",
        "registered-models-get-latest-versions",
    )
)
def mlflow_registered_model_reads(world):
    model = _registry_model(world)
    return Private(kwargs={}, query={"name": model.name}, obj=model, methods=("GET",))


@matrix_case(*both("registered-models-alias"))
def mlflow_model_version_by_alias(world):
    model = _registry_model(world)
    return Private(kwargs={}, query={"name": model.name, "alias": "champion"}, obj=model, methods=("GET",))


@matrix_case(*both("model-versions-get", "model-versions-get-download-uri"))
def mlflow_model_version_reads(world):
    model = _registry_model(world)
    version = model.versions.get()
    return Private(kwargs={}, query={"name": model.name, "version": "1"}, obj=version, methods=("GET",))


for _name, _method, _data in [
    ("registered-models-rename", "POST", {"new_name": "taken-over"}),
    ("registered-models-update", "PATCH", {"description": "bob was here"}),
    ("registered-models-delete", "DELETE", {}),
    ("registered-models-get-latest-versions", "POST", {"stages": ["None"]}),
    ("registered-models-set-tag", "POST", {"key": "squad", "value": "bob"}),
    ("registered-models-delete-tag", "DELETE", {"key": "squad"}),
    ("registered-models-alias", "POST", {"alias": "champion", "version": "1"}),
    ("registered-models-alias", "DELETE", {"alias": "champion"}),
    (
        "model-versions-create",
        "POST",
        {
            "source": lambda model: model.versions.get().source,
            "run_id": lambda model: model.versions.get().run_uuid,
        },
    ),
    ("model-versions-update", "PATCH", {"version": "1", "description": "bob was here"}),
    ("model-versions-delete", "DELETE", {"version": "1"}),
    ("model-versions-transition-stage", "POST", {"version": "1", "stage": "Production"}),
    ("model-versions-set-tag", "POST", {"version": "1", "key": "squad", "value": "bob"}),
    ("model-versions-delete-tag", "DELETE", {"version": "1", "key": "squad"}),
]:
    _register_write(_name, _method, **_data)


@matrix_case(*both("registered-models-search"))
def mlflow_registered_model_search(world):
    from apps.registry.tests.matrix_cases import PRIVATE_MODEL

    return Listing(
        queries=[
            {},
            {"filter": f"name = '{PRIVATE_MODEL}'"},
            {"filter": "name LIKE '%'", "max_results": "5", "order_by": "name DESC"},
            {"filter": "tags.squad LIKE '%'"},
        ]
    )


@matrix_case(*both("model-versions-search"))
def mlflow_model_version_search(world):
    from apps.registry.tests.matrix_cases import PRIVATE_MODEL

    return Listing(queries=[{}, {"filter": f"name = '{PRIVATE_MODEL}'"}, {"filter": "tags.squad LIKE '%'"}])


def _create_with_a_taken_name(status: int):
    # Bob's own model of that name is created: no RESOURCE_ALREADY_EXISTS reveals Fraud's.
    def build(world):
        model = _registry_model(world)
        return Listing(
            method="POST",
            data={"name": model.name},
            status=status,
            standard_assets=False,
            secrets=_registry_secrets(),
            compare_without=False,
        )

    return build


matrix_case("mlflow_api:registered-models-create", "mlflow_api:registered-models-create-2")(
    _create_with_a_taken_name(200)
)
matrix_case("mlflow_api:registered-models-create-1")(_create_with_a_taken_name(401))

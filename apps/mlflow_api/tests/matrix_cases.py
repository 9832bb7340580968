"""Cross-team cases for the MLflow routes (one section per area; see apps/core/testing/matrix.py).

Each route is mounted under several prefixes (apps/mlflow_api/urls.py), each with its own route
name (`name`, `name-1`, …). `mlflow_case` registers a case for all of them. The browser's
/ajax-api/ prefix authenticates with the session, which may read but never write: there a write
is refused with 401 before any lookup, whoever owns the object.
"""

from __future__ import annotations

import dataclasses

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset
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


# --- tracking (experiments, runs, params, metrics, tags, inputs) ---------------------------------
# `/api/2.0/mlflow/` (`x`) and `/api/3.0/mlflow/` (`x-2`) are called with bob's token,
# `/ajax-api/2.0/mlflow/` (`x-1`) with his browser session. A session may read but never write, so
# a write there is 401 whatever the object. MLflow names objects in the query (GET) or the JSON
# body (POST), so the cases give both; the payloads are complete, so a write the outsider could
# make would really happen and change the answer.
SESSION = 1  # index of the ajax-api prefix, called with a session
PREFIX_INDEXES = (0, 1, 2)

PRIVATE_EXPERIMENT = "Chargeback model search"
PRIVATE_RUN = "gbm-depth-sweep-eu"
PRIVATE_PARAM = "issuer-weighting-7"
PRIVATE_TAG = "northwind-backtest"
PRIVATE_DATASET = "eu-chargebacks-2025q3"
INTERNAL_EXPERIMENT = "Fraud baseline (shared)"


def _name(route: str, index: int) -> str:
    return f"mlflow_api:{route}" if index == 0 else f"mlflow_api:{route}-{index}"


def private_experiment(world):
    """Fraud's private experiment with one run carrying a param, metrics, a tag and a dataset input."""
    from apps.experiments.models import Experiment, Run
    from apps.experiments.services.tracking import (
        DatasetInputSpec,
        experiment_create,
        run_batch_log,
        run_create,
        run_inputs_log,
    )

    experiment = Experiment.objects.filter(team=world.fraud_team, name=PRIVATE_EXPERIMENT).first()
    if experiment is None:
        experiment = experiment_create(by=world.alice, team=world.fraud_team, name=PRIVATE_EXPERIMENT)
        run = run_create(
            experiment=experiment, by=world.alice, run_name=PRIVATE_RUN, start_time=1_700_000_000_000
        )
        run_batch_log(
            run=run,
            by=world.alice,
            metrics=[("auc", 0.91, 1_700_000_000_100, 0), ("auc", 0.93, 1_700_000_000_200, 1)],
            params=[("weighting", PRIVATE_PARAM)],
            tags=[("deal", PRIVATE_TAG)],
        )
        run_inputs_log(
            run=run, by=world.alice, datasets=[DatasetInputSpec(name=PRIVATE_DATASET, digest="a1b2c3d4")]
        )
    return experiment, Run.objects.get(experiment=experiment)


def internal_experiment(world):
    """Fraud's internal experiment: bob may read it, not change it."""
    from apps.experiments.models import Experiment, Run
    from apps.experiments.services.tracking import experiment_create, run_create

    experiment = Experiment.objects.filter(team=world.fraud_team, name=INTERNAL_EXPERIMENT).first()
    if experiment is None:
        experiment = experiment_create(
            by=world.alice, team=world.fraud_team, name=INTERNAL_EXPERIMENT, visibility="internal"
        )
        run_create(experiment=experiment, by=world.alice, run_name="shared-baseline")
    return experiment, Run.objects.get(experiment=experiment)


@private_asset("experiment")
def private_experiment_asset(world) -> list[str]:
    _, run = private_experiment(world)
    return [PRIVATE_EXPERIMENT, PRIVATE_RUN, run.uuid, PRIVATE_PARAM, PRIVATE_TAG, PRIVATE_DATASET]


# --- reads of one object (GET, the query names it) ----------------------------------------------
GET_ROUTES = {
    "experiments-get": lambda experiment, run: {"experiment_id": str(experiment.pk)},
    "experiments-get-by-name": lambda experiment, run: {"experiment_name": experiment.name},
    "runs-get": lambda experiment, run: {"run_id": run.uuid},
    "metrics-get-history": lambda experiment, run: {"run_id": run.uuid, "metric_key": "auc"},
}


def _register_get(route: str, query_for) -> None:
    @matrix_case(*[_name(route, index) for index in PREFIX_INDEXES])
    def case(world):
        experiment, run = private_experiment(world)
        return Private(kwargs={}, obj=run, query=query_for(experiment, run))


for _route, _query in GET_ROUTES.items():
    _register_get(_route, _query)


# --- writes to one object (POST, the body names it) ---------------------------------------------
def _write_bodies(experiment, run) -> dict[str, dict]:
    run_id = run.uuid
    return {
        "experiments-update": {"experiment_id": str(experiment.pk), "new_name": "Renamed by bob"},
        "experiments-delete": {"experiment_id": str(experiment.pk)},
        "experiments-restore": {"experiment_id": str(experiment.pk)},
        "experiments-set-tag": {"experiment_id": str(experiment.pk), "key": "owner", "value": "bob"},
        "experiments-delete-tag": {"experiment_id": str(experiment.pk), "key": "mlflow.note.content"},
        "runs-create": {"experiment_id": str(experiment.pk), "run_name": "bobs-run", "start_time": 1},
        "runs-update": {"run_id": run_id, "status": "KILLED", "end_time": 2, "run_name": "bob"},
        "runs-delete": {"run_id": run_id},
        "runs-restore": {"run_id": run_id},
        "runs-log-metric": {"run_id": run_id, "key": "auc", "value": 0.1, "timestamp": 5, "step": 9},
        "runs-log-parameter": {"run_id": run_id, "key": "bobs", "value": "1"},
        "runs-log-batch": {
            "run_id": run_id,
            "metrics": [{"key": "auc", "value": 0.2, "timestamp": 6, "step": 10}],
            "params": [{"key": "bobs-batch", "value": "1"}],
            "tags": [{"key": "deal", "value": "changed by bob"}],
        },
        "runs-set-tag": {"run_id": run_id, "key": "deal", "value": "changed by bob"},
        "runs-delete-tag": {"run_id": run_id, "key": "deal"},
        "runs-log-inputs": {
            "run_id": run_id,
            "datasets": [
                {"dataset": {"name": "bobs", "digest": "ffff0000", "source_type": "code", "source": "{}"}}
            ],
        },
    }


WRITE_ROUTES = (
    "experiments-update",
    "experiments-delete",
    "experiments-restore",
    "experiments-set-tag",
    "experiments-delete-tag",
    "runs-create",
    "runs-update",
    "runs-delete",
    "runs-restore",
    "runs-log-metric",
    "runs-log-parameter",
    "runs-log-batch",
    "runs-set-tag",
    "runs-delete-tag",
    "runs-log-inputs",
)


def _register_write(route: str) -> None:
    for index in PREFIX_INDEXES:

        @matrix_case(_name(route, index))
        def private_case(world, index=index):
            experiment, run = private_experiment(world)
            data = _write_bodies(experiment, run)[route]
            obj = experiment if route.startswith("experiments-") else run
            if index == SESSION:  # a session never writes: 401, for a missing object just the same
                return Private(kwargs={}, obj=obj, data=data, method_statuses={"POST": frozenset({401})})
            return Private(kwargs={}, obj=obj, data=data)

        if index != SESSION:

            @matrix_case(_name(route, index))
            def refused_case(world):
                experiment, run = internal_experiment(world)
                data = _write_bodies(experiment, run)[route]
                obj = experiment if route.startswith("experiments-") else run
                return Refused(kwargs={}, obj=obj, data=data, statuses=frozenset({403}))


for _route in WRITE_ROUTES:
    _register_write(_route)


# --- collections: searches and bulk reads answer the same whether Fraud's objects exist -------
@matrix_case(*[_name("experiments-search", index) for index in PREFIX_INDEXES if index != SESSION])
def experiments_search(world):
    private_experiment(world)
    return Listing(
        method="POST",
        queries=[{}],
        data={"filter": f"name LIKE '%{PRIVATE_EXPERIMENT[:10]}%'", "max_results": 100},
    )


@matrix_case(*[_name("experiments-search", index) for index in PREFIX_INDEXES if index != SESSION])
def experiments_search_all(world):
    return Listing(method="POST", data={"view_type": "ALL", "max_results": 1000})


@matrix_case(_name("experiments-search", SESSION))
def experiments_search_session(world):
    return Listing(queries=[{}, {"max_results": "5"}, {"filter": "name LIKE 'Charge%'", "view_type": "ALL"}])


@matrix_case(*[_name("runs-search", index) for index in PREFIX_INDEXES if index != SESSION])
def runs_search(world):
    experiment, _ = private_experiment(world)
    data = {"experiment_ids": [str(experiment.pk)], "filter": "metrics.auc > 0", "run_view_type": "ALL"}
    return Listing(method="POST", data=data)


@matrix_case(_name("runs-search", SESSION))
def runs_search_session(world):
    experiment, _ = private_experiment(world)
    return Listing(
        queries=[{"experiment_ids": str(experiment.pk)}, {"experiment_ids": str(experiment.pk) + "0"}]
    )


@matrix_case(*[_name("metrics-get-history-bulk-interval", index) for index in PREFIX_INDEXES])
def history_bulk_interval(world):
    _, run = private_experiment(world)
    return Listing(queries=[{"run_ids": run.uuid, "metric_key": "auc"}])


@matrix_case(*[_name("experiments-create", index) for index in PREFIX_INDEXES if index != SESSION])
def experiment_create_in_another_team(world):
    # Into Fraud's team by its slug: refused whatever Fraud owns (and the same as for a missing name).
    data = {"name": PRIVATE_EXPERIMENT, "tags": [{"key": "atrium.team", "value": world.fraud_team.slug}]}
    return Listing(method="POST", data=data, status=403)


@matrix_case(_name("experiments-create", SESSION))
def experiment_create_by_session(world):
    return Listing(method="POST", data={"name": PRIVATE_EXPERIMENT}, status=401, htmx=False)


# --- artifacts and logged models of an internal experiment: bob may read, never write (403) ------
def _token_names(*names: str, prefixes=PREFIXES) -> list[str]:
    """Route names under the prefixes called with a token (the session's /ajax-api/ never writes)."""
    return [
        f"mlflow_api:{name}" if index == 0 else f"mlflow_api:{name}-{index}"
        for name in names
        for index, prefix in enumerate(prefixes)
        if not prefix.startswith("ajax-")
    ]


def internal_artifacts(world):
    """Fraud's internal run with one file, and a logged model of it with a tag (index rows only)."""
    from apps.core.history import acting_user
    from apps.experiments.models import Artifact, LoggedModel
    from apps.experiments.services.artifacts import artifact_root

    experiment, run = internal_experiment(world)
    with acting_user(world.alice):
        model = LoggedModel.objects.filter(experiment=experiment).first() or LoggedModel.objects.create(
            experiment=experiment,
            name="shared-baseline-model",
            source_run=run,
            user=world.alice,
            tags={"stage": "dev"},
        )
        artifact = Artifact.objects.filter(run=run).first() or Artifact.objects.create(
            experiment=experiment,
            run=run,
            path="shared.txt",
            storage_name=f"{artifact_root(run=run)}/shared.txt",
            size=6,
        )
    return experiment, run, model, artifact


REFUSED = frozenset({403})


@matrix_case(*_token_names("artifact", prefixes=ARTIFACT_PREFIXES))
def writing_an_internal_runs_file(world):
    _, run, _, artifact = internal_artifacts(world)
    path = f"{_run_root(run)}/{artifact.path}"
    return Refused(kwargs={"artifact_path": path}, obj=artifact, methods=("PUT", "DELETE"), statuses=REFUSED)


@matrix_case(
    *_token_names(
        "artifact-mpu-create", "artifact-mpu-complete", "artifact-mpu-abort", prefixes=ARTIFACT_PREFIXES
    )
)
def multipart_into_an_internal_run(world):
    _, run, _, artifact = internal_artifacts(world)
    return Refused(kwargs={"artifact_path": f"{_run_root(run)}/big.bin"}, obj=artifact, statuses=REFUSED)


@matrix_case(*_token_names("logged-model"))
def finalizing_or_deleting_an_internal_model(world):
    _, _, model, _ = internal_artifacts(world)
    return Refused(
        kwargs={"model_id": model.model_id},
        obj=model,
        methods=("PATCH", "DELETE"),
        data={"status": "LOGGED_MODEL_READY"},
        statuses=REFUSED,
    )


@matrix_case(*_token_names("logged-model-tags"))
def tagging_an_internal_model(world):
    _, _, model, _ = internal_artifacts(world)
    data = {"tags": [{"key": "stage", "value": "prod"}]}
    return Refused(kwargs={"model_id": model.model_id}, obj=model, data=data, statuses=REFUSED)


@matrix_case(*_token_names("logged-model-tag"))
def untagging_an_internal_model(world):
    _, _, model, _ = internal_artifacts(world)
    return Refused(kwargs={"model_id": model.model_id, "tag_key": "stage"}, obj=model, statuses=REFUSED)


@matrix_case(*_token_names("logged-model-params"))
def adding_params_to_an_internal_model(world):
    _, _, model, _ = internal_artifacts(world)
    data = {"params": [{"key": "alpha", "value": "1"}]}
    return Refused(kwargs={"model_id": model.model_id}, obj=model, data=data, statuses=REFUSED)


@matrix_case(*_token_names("logged-models-create"))
def a_model_in_an_internal_experiment(world):
    experiment, run, _, _ = internal_artifacts(world)
    data = {"experiment_id": str(experiment.pk), "name": "planted", "source_run_id": run.uuid}
    return Refused(kwargs={}, obj=experiment, data=data, statuses=REFUSED)


@matrix_case(*_token_names("runs-outputs"))
def outputs_of_an_internal_run(world):
    _, run, model, _ = internal_artifacts(world)
    data = {"run_id": run.uuid, "models": [{"model_id": model.model_id, "step": 1}]}
    return Refused(kwargs={}, obj=run, data=data, statuses=REFUSED)


@matrix_case(*_token_names("runs-log-model"))
def a_model_recorded_on_an_internal_run(world):
    import json

    _, run, _, _ = internal_artifacts(world)
    model_json = {
        "run_id": run.uuid,
        "artifact_path": "model",
        "utc_time_created": "2025-05-01",
        "flavors": {},
    }
    return Refused(
        kwargs={}, obj=run, data={"run_id": run.uuid, "model_json": json.dumps(model_json)}, statuses=REFUSED
    )

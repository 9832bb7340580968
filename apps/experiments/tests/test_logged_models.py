"""Logged models: create, params, finalize, tags, delete, run outputs, MLflow 2's log-model, search."""

from __future__ import annotations

import json

import pytest

from apps.core.permissions import Action
from apps.experiments.errors import TrackingError
from apps.experiments.models import LatestMetric, LifecycleStage, LoggedModel, LoggedModelStatus, RunOutput
from apps.experiments.selectors.logged_models import logged_model_get, logged_models_search
from apps.experiments.services.logged_models import (
    LOGGED_MODELS_TAG,
    logged_model_create,
    logged_model_delete,
    logged_model_finalize,
    logged_model_params_log,
    logged_model_status_parse,
    logged_model_tag_delete,
    logged_model_tags_set,
    model_json_parse,
    run_logged_model_record,
    run_outputs_log,
)
from apps.experiments.services.tracking import (
    experiment_create,
    experiment_delete,
    run_create,
    run_delete,
    run_metrics_log,
)


@pytest.fixture
def experiment(fraud_team, alice):
    return experiment_create(team=fraud_team, by=alice, name="Chargebacks")


@pytest.fixture
def run(experiment, alice):
    return run_create(experiment=experiment, by=alice, run_name="baseline")


@pytest.fixture
def model(experiment, run, alice):
    return logged_model_create(
        experiment=experiment, by=alice, name="gbm", source_run=run, model_type="sklearn"
    )


def test_a_new_model_is_pending_with_its_own_artifact_root(model, experiment, alice):
    assert model.status == LoggedModelStatus.PENDING
    assert model.model_id.startswith("m-")
    assert model.artifact_location == f"mlflow-artifacts:/{experiment.pk}/models/{model.model_id}/artifacts"
    assert model.history.first().history_user == alice


def test_a_model_without_a_name_gets_a_generated_one(experiment, alice):
    model = logged_model_create(experiment=experiment, by=alice)
    assert model.name and "-" in model.name


@pytest.mark.parametrize("name", ["", "a/b", "a:b", "model.pkl", "50%", 'say "hi"', "it's", "x" * 251])
def test_a_bad_model_name_is_refused(experiment, alice, name):
    with pytest.raises(TrackingError) as raised:
        logged_model_create(experiment=experiment, by=alice, name=name)
    assert raised.value.code == "INVALID_PARAMETER_VALUE"
    assert not LoggedModel.objects.exists()


def test_a_model_cannot_be_created_in_a_deleted_experiment(experiment, alice):
    experiment_delete(experiment=experiment, by=alice)
    with pytest.raises(TrackingError, match="active"):
        logged_model_create(experiment=experiment, by=alice, name="late")


def test_the_source_run_must_belong_to_the_experiment(fraud_team, run, alice):
    other = experiment_create(team=fraud_team, by=alice, name="Other")
    with pytest.raises(TrackingError, match="belongs to experiment"):
        logged_model_create(experiment=other, by=alice, name="m", source_run=run)


def test_params_and_tags_follow_mlflows_key_rules(experiment, alice):
    with pytest.raises(TrackingError):
        logged_model_create(experiment=experiment, by=alice, params=[("../escape", "1")])
    with pytest.raises(TrackingError):
        logged_model_create(experiment=experiment, by=alice, tags=[("k", "v" * 8001)])
    model = logged_model_create(
        experiment=experiment, by=alice, params=[("alpha", "0.1")], tags={"mlflow.source.name": "train.py"}
    )
    assert model.params == {"alpha": "0.1"}
    assert model.tags == {"mlflow.source.name": "train.py"}


def test_more_params_are_added_in_batches(model, alice):
    logged_model_params_log(
        logged_model=model, by=alice, params=[(f"p{index}", str(index)) for index in range(100)]
    )
    logged_model_params_log(logged_model=model, by=alice, params={"p1": "1"})  # the same again: no change
    model.refresh_from_db()
    assert len(model.params) == 100
    with pytest.raises(TrackingError, match="at most 100"):
        logged_model_params_log(
            logged_model=model, by=alice, params=[(f"q{index}", "x") for index in range(101)]
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("LOGGED_MODEL_READY", LoggedModelStatus.READY),
        ("READY", LoggedModelStatus.READY),
        (2, LoggedModelStatus.READY),
        ("3", LoggedModelStatus.FAILED),
        ("LOGGED_MODEL_UPLOAD_FAILED", LoggedModelStatus.FAILED),
    ],
)
def test_a_status_is_read_from_its_name_or_number(given, expected):
    assert logged_model_status_parse(given) == expected


@pytest.mark.parametrize("given", ["DONE", 7, None, True, 2.5])
def test_an_unknown_status_is_refused(given):
    with pytest.raises(TrackingError):
        logged_model_status_parse(given)


def test_finalizing_marks_ready_or_failed_and_is_idempotent(model, alice):
    logged_model_finalize(logged_model=model, by=alice, status="LOGGED_MODEL_READY")
    logged_model_finalize(logged_model=model, by=alice, status="LOGGED_MODEL_READY")
    model.refresh_from_db()
    assert model.status == LoggedModelStatus.READY
    assert model.history.count() == 2  # created, finalized once
    with pytest.raises(TrackingError):
        logged_model_finalize(logged_model=model, by=alice, status="LOGGED_MODEL_PENDING")


def test_tags_are_set_replaced_and_deleted(model, alice):
    logged_model_tags_set(logged_model=model, by=alice, tags=[("stage", "dev"), ("owner", "alice")])
    logged_model_tags_set(logged_model=model, by=alice, tags={"stage": "prod"})
    model.refresh_from_db()
    assert model.tags == {"stage": "prod", "owner": "alice"}
    logged_model_tag_delete(logged_model=model, by=alice, key="owner")
    model.refresh_from_db()
    assert model.tags == {"stage": "prod"}
    with pytest.raises(TrackingError) as raised:
        logged_model_tag_delete(logged_model=model, by=alice, key="owner")
    assert raised.value.code == "RESOURCE_DOES_NOT_EXIST"


def test_a_deleted_model_is_found_only_when_asked_for(model, alice):
    logged_model_delete(logged_model=model, by=alice)
    assert LoggedModel.objects.get(pk=model.pk).lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(TrackingError):
        logged_model_get(user=alice, model_id=model.model_id)
    assert logged_model_get(user=alice, model_id=model.model_id, allow_deleted=True) == model


def test_outputs_link_models_to_their_run_once(run, model, alice):
    run_outputs_log(run=run, by=alice, outputs=[(model, 3)])
    run_outputs_log(run=run, by=alice, outputs=[(model, 3)])  # a client retry
    assert list(RunOutput.objects.filter(run=run).values_list("logged_model__model_id", "step")) == [
        (model.model_id, 3)
    ]


def test_outputs_need_an_active_run_and_the_same_experiment(fraud_team, run, model, alice):
    other = logged_model_create(experiment=experiment_create(team=fraud_team, by=alice, name="X"), by=alice)
    with pytest.raises(TrackingError, match="another experiment"):
        run_outputs_log(run=run, by=alice, outputs=[(other, 0)])
    run_delete(run=run, by=alice)
    with pytest.raises(TrackingError, match="active"):
        run_outputs_log(run=run, by=alice, outputs=[(model, 0)])


# --- MLflow 2's runs/log-model ------------------------------------------------------------------
MLFLOW2_MODEL_JSON = {
    "artifact_path": "model",
    "flavors": {
        "python_function": {
            "loader_module": "mlflow.sklearn",
            "python_version": "3.11.7",
            "env": "conda.yaml",
        },
        "sklearn": {
            "pickled_model": "model.pkl",
            "sklearn_version": "1.4.2",
            "serialization_format": "cloudpickle",
        },
    },
    "run_id": "to-be-set",
    "utc_time_created": "2024-05-01 10:00:00.000000",
    "model_uuid": "5c1a7d3e2f1b4c8e9a0b1c2d3e4f5a6b",
    "mlflow_version": "2.22.0",
    "signature": {"inputs": "[]", "outputs": "[]"},
}


def test_log_model_appends_the_summary_to_the_runs_history_tag(run, alice):
    first = {**MLFLOW2_MODEL_JSON, "run_id": run.uuid}
    second = {**first, "artifact_path": "model-2", "model_uuid": "other"}
    run_logged_model_record(run=run, by=alice, model_json=json.dumps(first))
    run_logged_model_record(run=run, by=alice, model_json=json.dumps(first))  # a retry: recorded once
    history = run_logged_model_record(run=run, by=alice, model_json=json.dumps(second))
    stored = json.loads(run.tags.get(key=LOGGED_MODELS_TAG).value)
    assert stored == history
    assert [entry["artifact_path"] for entry in stored] == ["model", "model-2"]
    assert set(stored[0]) == {"artifact_path", "flavors", "run_id", "utc_time_created", "model_uuid"}


def test_log_model_refuses_malformed_json(run, alice):
    for bad in [
        "not json",
        "[1, 2]",
        json.dumps({"flavors": {}}),
        json.dumps({**MLFLOW2_MODEL_JSON, "flavors": 3}),
    ]:
        with pytest.raises(TrackingError):
            run_logged_model_record(run=run, by=alice, model_json=bad)
    assert not run.tags.filter(key=LOGGED_MODELS_TAG).exists()


def test_the_summary_drops_flavor_configs():
    model = {**MLFLOW2_MODEL_JSON, "flavors": {"pyfunc": {"loader_module": "x", "config": {"secret": 1}}}}
    assert model_json_parse(json.dumps(model))["flavors"] == {"pyfunc": {"loader_module": "x"}}


# --- reads ------------------------------------------------------------------------------------------
def test_an_outsider_cannot_see_a_private_model(model, bob):
    with pytest.raises(TrackingError) as raised:
        logged_model_get(user=bob, model_id=model.model_id)
    assert raised.value.code == "RESOURCE_DOES_NOT_EXIST"


def test_a_read_only_member_sees_but_cannot_change(model, ann):
    assert logged_model_get(user=ann, model_id=model.model_id) == model
    with pytest.raises(TrackingError) as raised:
        logged_model_get(user=ann, model_id=model.model_id, action=Action.CHANGE)
    assert raised.value.code == "PERMISSION_DENIED"


@pytest.fixture
def three_models(experiment, alice):
    runs = []
    for index, (name, accuracy) in enumerate([("rf", 0.91), ("gbm", 0.95), ("logreg", 0.88)]):
        run = run_create(experiment=experiment, by=alice, run_name=f"run-{name}")
        run_metrics_log(run=run, by=alice, metrics=[("accuracy", accuracy, 1000 + index, 0)])
        model = logged_model_create(
            experiment=experiment,
            by=alice,
            name=name,
            source_run=run,
            params={"kind": name},
            tags={"team": "fraud"},
        )
        if name != "logreg":
            logged_model_finalize(logged_model=model, by=alice, status="READY")
        runs.append(model)
    return runs


def _names(models) -> list[str]:
    return [model.name for model in models]


def test_search_filters_like_mlflow(experiment, three_models, alice):
    ids = [str(experiment.pk)]
    assert _names(logged_models_search(user=alice, experiment_ids=ids, filter_string="name = 'rf'")[0]) == [
        "rf"
    ]
    assert set(
        _names(logged_models_search(user=alice, experiment_ids=ids, filter_string="status = 'READY'")[0])
    ) == {
        "rf",
        "gbm",
    }
    found = logged_models_search(user=alice, experiment_ids=ids, filter_string="metrics.accuracy > 0.9")[0]
    assert set(_names(found)) == {"rf", "gbm"}
    found = logged_models_search(user=alice, experiment_ids=ids, filter_string="params.kind LIKE 'log%'")[0]
    assert _names(found) == ["logreg"]
    found = logged_models_search(
        user=alice, experiment_ids=ids, filter_string="tags.team = 'fraud' AND name != 'gbm'"
    )[0]
    assert set(_names(found)) == {"rf", "logreg"}
    source = three_models[0].source_run.uuid
    found = logged_models_search(user=alice, experiment_ids=ids, filter_string=f"source_run_id = '{source}'")[
        0
    ]
    assert _names(found) == ["rf"]


def test_search_orders_and_pages(experiment, three_models, alice):
    ids = [str(experiment.pk)]
    order = [{"field_name": "metrics.accuracy", "ascending": False}]
    first, token = logged_models_search(user=alice, experiment_ids=ids, order_by=order, max_results=2)
    assert _names(first) == ["gbm", "rf"]
    second, last_token = logged_models_search(
        user=alice, experiment_ids=ids, order_by=order, max_results=2, page_token=token
    )
    assert _names(second) == ["logreg"]
    assert last_token is None
    newest_first, _ = logged_models_search(user=alice, experiment_ids=ids)
    assert _names(newest_first) == ["logreg", "gbm", "rf"]
    by_name, _ = logged_models_search(user=alice, experiment_ids=ids, order_by=[{"field_name": "name"}])
    assert _names(by_name) == ["gbm", "logreg", "rf"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filter_string": "colour = 'red'"}, "Invalid attribute key"),
        ({"filter_string": "metrics.accuracy > 'high'"}, "numeric"),
        ({"order_by": [{"field_name": "params.kind"}]}, "Only metrics"),
        ({"order_by": [{"field_name": "colour"}]}, "Invalid order by"),
        ({"order_by": ["name"]}, "list of objects"),
        ({"datasets": [{"dataset_digest": "x"}]}, "dataset_name"),
        ({"max_results": 0}, "max_results"),
        ({"page_token": "not-a-token"}, "page token"),
    ],
)
def test_search_refuses_bad_requests(experiment, alice, kwargs, message):
    with pytest.raises(TrackingError, match=message):
        logged_models_search(user=alice, experiment_ids=[str(experiment.pk)], **kwargs)


def test_search_sees_only_visible_experiments_and_active_models(experiment, three_models, alice, bob):
    assert logged_models_search(user=bob, experiment_ids=[str(experiment.pk)]) == ([], None)
    logged_model_delete(logged_model=three_models[0], by=alice)
    assert "rf" not in _names(logged_models_search(user=alice, experiment_ids=[str(experiment.pk)])[0])


def test_search_reads_a_fixed_number_of_queries(experiment, three_models, alice, django_assert_num_queries):
    from apps.mlflow_api.serializers import logged_model_json

    # 1 the page of models with their source runs, 2 the source runs' latest metrics.
    with django_assert_num_queries(2):
        models, _ = logged_models_search(user=alice, experiment_ids=[str(experiment.pk)])
        payload = [logged_model_json(model) for model in models]
    assert len(payload) == 3
    assert LatestMetric.objects.count() == 3
    assert {metric["key"] for item in payload for metric in item["data"]["metrics"]} == {"accuracy"}

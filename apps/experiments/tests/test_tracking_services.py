"""Tracking services: MLflow's semantics for experiments, runs, params, metrics, tags and inputs."""

import math
import sys

import pytest
from django.db import connection, transaction

from apps.experiments.errors import TrackingError
from apps.experiments.models import (
    Experiment,
    LatestMetric,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInput,
    RunTag,
)
from apps.experiments.services.tracking import (
    DatasetInputSpec,
    experiment_create,
    experiment_delete,
    experiment_restore,
    experiment_tag_delete,
    experiment_tag_set,
    experiment_team_for,
    experiment_update,
    run_batch_log,
    run_create,
    run_delete,
    run_environment_capture,
    run_inputs_log,
    run_metrics_log,
    run_params_log,
    run_restore,
    run_tag_delete,
    run_tags_set,
    run_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(alice):
    return experiment_create(by=alice, name="Churn")


@pytest.fixture
def run(experiment, alice):
    return run_create(experiment=experiment, by=alice, start_time=1000, run_name="first")


def code(call):
    with pytest.raises(TrackingError) as caught, transaction.atomic():
        call()
    return caught.value.code


# --- experiments -----------------------------------------------------------------------------------
def test_experiment_goes_to_the_users_only_team_with_the_default_artifact_location(experiment, fraud_team):
    assert experiment.team == fraud_team
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.pk}"
    created = experiment.history.get()
    assert created.history_type == "+" and created.artifact_location == experiment.artifact_location


def test_team_tag_picks_the_team_and_is_refused_where_the_user_may_not_add(
    alice, bob, platform_team, fraud_team
):
    from apps.teams.services import membership_set

    membership_set(team=platform_team, user=alice, role="analyst", by=alice)
    assert experiment_team_for(user=alice, tags={}) == fraud_team  # the team where she may add
    assert experiment_team_for(user=alice, tags={"atrium.team": fraud_team.slug}) == fraud_team
    with pytest.raises(TrackingError) as refused:
        experiment_team_for(user=alice, tags={"atrium.team": platform_team.slug})
    assert refused.value.code == "PERMISSION_DENIED"
    with pytest.raises(TrackingError) as unknown:
        experiment_team_for(user=alice, tags={"atrium.team": "no-such-team"})
    assert unknown.value.code == "INVALID_PARAMETER_VALUE" and "no-such-team" in str(unknown.value)


def test_someone_without_a_team_is_refused_with_what_to_do(make_user):
    loner = make_user("loner")
    with pytest.raises(TrackingError) as refused:
        experiment_team_for(user=loner, tags={})
    assert refused.value.code == "PERMISSION_DENIED" and "data officer" in str(refused.value)


def test_an_analyst_alone_in_a_team_cannot_create(ann):
    assert code(lambda: experiment_create(by=ann, name="Nope")) == "PERMISSION_DENIED"
    assert not Experiment.objects.exists()


def test_names_are_unique_per_team_only(alice, bob, experiment):
    assert code(lambda: experiment_create(by=alice, name="Churn")) == "RESOURCE_ALREADY_EXISTS"
    other = experiment_create(by=bob, name="Churn")
    assert other.team != experiment.team


def test_bad_names_and_artifact_locations_are_refused(alice):
    assert code(lambda: experiment_create(by=alice, name="")) == "INVALID_PARAMETER_VALUE"
    assert code(lambda: experiment_create(by=alice, name="x" * 501)) == "INVALID_PARAMETER_VALUE"
    assert (
        code(lambda: experiment_create(by=alice, name="a", artifact_location="s3://x"))
        == "INVALID_PARAMETER_VALUE"
    )


def test_rename_delete_restore_cascade_to_runs(experiment, alice, run):
    experiment_update(experiment=experiment, by=alice, name="Churn v2")
    experiment_delete(experiment=experiment, by=alice)
    experiment_delete(experiment=experiment, by=alice)  # twice is once
    run.refresh_from_db()
    assert run.lifecycle_stage == LifecycleStage.DELETED
    assert (
        code(lambda: experiment_update(experiment=experiment, by=alice, name="x"))
        == "INVALID_PARAMETER_VALUE"
    )
    assert code(lambda: run_create(experiment=experiment, by=alice)) == "INVALID_PARAMETER_VALUE"
    assert code(lambda: run_restore(run=run, by=alice)) == "INVALID_PARAMETER_VALUE"
    experiment_restore(experiment=experiment, by=alice)
    run.refresh_from_db()
    assert run.lifecycle_stage == LifecycleStage.ACTIVE
    assert Experiment.objects.get().name == "Churn v2"
    assert run.history.first().history_user == alice


def test_experiment_tags_and_note(experiment, alice):
    experiment_tag_set(experiment=experiment, by=alice, key="mlflow.note.content", value="# Notes")
    experiment_tag_set(experiment=experiment, by=alice, key="mlflow.note.content", value="# Notes 2")
    assert experiment.tags.get().value == "# Notes 2"
    assert Experiment.objects.get().description == "# Notes 2"
    experiment_tag_delete(experiment=experiment, by=alice, key="mlflow.note.content")
    assert (
        code(lambda: experiment_tag_delete(experiment=experiment, by=alice, key="nope"))
        == "RESOURCE_DOES_NOT_EXIST"
    )


# --- runs ------------------------------------------------------------------------------------------
def test_run_create_maps_mlflow_system_tags_onto_reproducibility_fields(experiment, alice):
    parent = run_create(experiment=experiment, by=alice)
    run = run_create(
        experiment=experiment,
        by=alice,
        tags={
            "mlflow.user": "alice-laptop",
            "mlflow.source.name": "train.py",
            "mlflow.source.type": "LOCAL",
            "mlflow.source.git.commit": "abc123",
            "mlflow.note.content": "Baseline",
            "mlflow.parentRunId": parent.uuid,
        },
    )
    assert (run.source_name, run.source_type, run.git_commit, run.description) == (
        "train.py",
        "LOCAL",
        "abc123",
        "Baseline",
    )
    assert run.parent == parent and run.user == alice and run.user_name == "alice"
    assert run.name and RunTag.objects.get(run=run, key="mlflow.runName").value == run.name
    assert run.artifact_uri == f"mlflow-artifacts:/{experiment.pk}/{run.uuid}/artifacts"
    assert run.status == "RUNNING"


def test_run_name_argument_and_tag_must_agree(experiment, alice):
    assert code(
        lambda: run_create(experiment=experiment, by=alice, run_name="a", tags={"mlflow.runName": "b"})
    ) == ("INVALID_PARAMETER_VALUE")
    assert not Run.objects.exists()


def test_run_update_and_delete_restore(run, alice):
    run_update(run=run, by=alice, status="FINISHED", end_time=2000, name="renamed")
    run.refresh_from_db()
    assert (run.status, run.end_time, run.name) == ("FINISHED", 2000, "renamed")
    assert RunTag.objects.get(run=run, key="mlflow.runName").value == "renamed"
    assert code(lambda: run_update(run=run, by=alice, status="DONE")) == "INVALID_PARAMETER_VALUE"
    run_delete(run=run, by=alice)
    assert code(lambda: run_params_log(run=run, by=alice, params={"a": "1"})) == "INVALID_PARAMETER_VALUE"
    run_restore(run=run, by=alice)
    run_params_log(run=run, by=alice, params={"a": "1"})


# --- params ----------------------------------------------------------------------------------------
def test_params_same_value_again_is_fine_another_value_is_refused_and_nothing_written(run, alice):
    run_params_log(run=run, by=alice, params={"alpha": "0.1"})
    run_params_log(run=run, by=alice, params={"alpha": "0.1"})
    assert code(lambda: run_params_log(run=run, by=alice, params=[("beta", "1"), ("alpha", "0.2")])) == (
        "INVALID_PARAMETER_VALUE"
    )
    assert dict(Param.objects.values_list("key", "value")) == {"alpha": "0.1"}


@pytest.mark.parametrize(
    "key,value",
    [("", "v"), ("a" * 251, "v"), ("../x", "v"), ("bad$", "v"), ("ok", "v" * 6001), (None, "v"), (3, "v")],
)
def test_param_validation(run, alice, key, value):
    assert code(lambda: run_params_log(run=run, by=alice, params=[(key, value)])) == "INVALID_PARAMETER_VALUE"
    assert not Param.objects.exists()


# --- metrics ---------------------------------------------------------------------------------------
def test_metrics_are_idempotent_and_latest_follows_mlflows_rule(run, alice):
    points = [("loss", 0.5, 100, 1), ("loss", 0.4, 100, 2), ("loss", 0.9, 50, 2), ("acc", 0.7, 10, 0)]
    run_metrics_log(run=run, by=alice, metrics=points)
    run_metrics_log(run=run, by=alice, metrics=points)  # a client retry
    assert Metric.objects.count() == 4
    latest = {m.key: (m.value, m.step, m.timestamp) for m in LatestMetric.objects.all()}
    assert latest == {"loss": (0.4, 2, 100), "acc": (0.7, 0, 10)}
    run_metrics_log(run=run, by=alice, metrics=[("loss", 0.1, 1, 1)])  # older step: not the latest
    assert LatestMetric.objects.get(key="loss").value == 0.4
    run_metrics_log(run=run, by=alice, metrics=[("loss", 0.45, 100, 2)])  # same step/time, bigger value
    assert LatestMetric.objects.get(key="loss").value == 0.45


def test_a_large_batch_retried_in_part_stores_each_point_once(run, alice):
    """From OPTIMISTIC_INSERT_ROWS on, PostgreSQL inserts without ON CONFLICT first; a retry that
    overlaps stored points falls back to skipping them, and the batch still lands whole."""
    from apps.experiments.services.tracking import OPTIMISTIC_INSERT_ROWS

    size = OPTIMISTIC_INSERT_ROWS * 2
    first = [("loss", 1.0 / (step + 1), 1000 + step, step) for step in range(size)]
    run_metrics_log(run=run, by=alice, metrics=first)
    overlapping = first[size // 2 :] + [("loss", 0.0, 5000 + step, size + step) for step in range(size // 2)]
    run_metrics_log(run=run, by=alice, metrics=overlapping)
    run_metrics_log(run=run, by=alice, metrics=overlapping)  # the same retry again
    steps = list(Metric.objects.filter(run=run, key="loss").order_by("step").values_list("step", flat=True))
    assert steps == list(range(size + size // 2))
    assert LatestMetric.objects.get(run=run, key="loss").step == size + size // 2 - 1


def test_nan_and_infinity_are_stored_as_mlflow_does(run, alice):
    run_metrics_log(
        run=run, by=alice, metrics=[("a", math.nan, 1, 0), ("b", math.inf, 1, 0), ("c", -math.inf, 1, 0)]
    )
    stored = {m.key: (m.value, m.is_nan) for m in Metric.objects.all()}
    assert stored == {"a": (0.0, True), "b": (sys.float_info.max, False), "c": (-sys.float_info.max, False)}


@pytest.mark.parametrize(
    "metric",
    [
        ("", 1.0, 1, 0),
        ("m", None, 1, 0),
        ("m", "1", 1, 0),
        ("m", True, 1, 0),
        ("m", 1.0, -1, 0),
        ("m", 1.0, 1, 2**64),
    ],
)
def test_metric_validation(run, alice, metric):
    assert code(lambda: run_metrics_log(run=run, by=alice, metrics=[metric])) == "INVALID_PARAMETER_VALUE"
    assert not Metric.objects.exists()


def test_metric_log_is_a_few_queries_whatever_the_batch(run, alice, django_assert_max_num_queries):
    points = [("loss", i / 1000, 1000 + i, i) for i in range(1000)]
    # savepoint, insert points, upsert latest, release
    with django_assert_max_num_queries(4):
        run_metrics_log(run=run, by=alice, metrics=points)
    assert LatestMetric.objects.get().step == 999


# --- tags and batches -------------------------------------------------------------------------------
def test_tags_set_and_delete_keep_history(run, alice):
    run_tags_set(run=run, by=alice, tags={"team": "a", "mlflow.note.content": "hello"})
    run_tags_set(run=run, by=alice, tags={"team": "b"})
    tag = RunTag.objects.get(run=run, key="team")
    assert tag.value == "b"
    assert [record.value for record in tag.history.order_by("history_date")] == ["a", "b"]
    assert tag.history.first().history_user == alice
    run.refresh_from_db()
    assert run.description == "hello"
    run_tag_delete(run=run, by=alice, key="team")
    assert code(lambda: run_tag_delete(run=run, by=alice, key="team")) == "RESOURCE_DOES_NOT_EXIST"


def test_batch_limits_and_all_or_nothing(run, alice):
    too_many = [("m", 1.0, 1, i) for i in range(1001)]
    assert code(lambda: run_batch_log(run=run, by=alice, metrics=too_many)) == "INVALID_PARAMETER_VALUE"
    assert code(lambda: run_batch_log(run=run, by=alice, params=[(f"p{i}", "1") for i in range(101)])) == (
        "INVALID_PARAMETER_VALUE"
    )
    assert code(lambda: run_batch_log(run=run, by=alice, tags=[(f"t{i}", "1") for i in range(101)])) == (
        "INVALID_PARAMETER_VALUE"
    )
    mixed = {
        "metrics": [("m", 1.0, 1, i) for i in range(950)],
        "params": [(f"p{i}", "1") for i in range(40)],
        "tags": [(f"t{i}", "1") for i in range(20)],
    }
    assert code(lambda: run_batch_log(run=run, by=alice, **mixed)) == "INVALID_PARAMETER_VALUE"
    bad_last = {"metrics": [("m", 1.0, 1, 0)], "params": [("p", "1")], "tags": [("../t", "1")]}
    assert code(lambda: run_batch_log(run=run, by=alice, **bad_last)) == "INVALID_PARAMETER_VALUE"
    assert not Metric.objects.exists() and not Param.objects.exists()
    run_batch_log(run=run, by=alice, metrics=[("m", 1.0, 1, 0)], params=[("p", "1")], tags=[("t", "1")])
    assert (Metric.objects.count(), Param.objects.count(), RunTag.objects.filter(key="t").count()) == (
        1,
        1,
        1,
    )


def test_log_batch_query_count(run, alice, django_assert_max_num_queries):
    metrics = [("loss", 0.5, 1, i) for i in range(800)]
    params = [(f"p{i}", str(i)) for i in range(100)]
    tags = [(f"t{i}", str(i)) for i in range(100)]
    # savepoint; params: read, insert; metrics: insert (PostgreSQL: in its own savepoint), upsert;
    # tags: read, insert, history insert; release
    with django_assert_max_num_queries(11 if connection.vendor == "postgresql" else 9):
        run_batch_log(run=run, by=alice, metrics=metrics, params=params, tags=tags)
    assert RunTag.history.filter(key="t5").count() == 1


# --- inputs ----------------------------------------------------------------------------------------
def test_inputs_resolve_catalog_versions_and_draw_lineage(run, alice, bob, private_dataset):
    from apps.catalog.models import DatasetVersion
    from apps.lineage.models import Edge

    version = DatasetVersion.objects.create(dataset=private_dataset, number=1, content_hash="ab" * 32)
    by_uri = DatasetInputSpec(
        name="cards",
        digest="1234abcd",
        source_type="http",
        source=f'{{"url": "https://atrium.example/catalog/datasets/{private_dataset.pk}/versions/1/"}}',
        tags=(("mlflow.data.context", "training"),),
    )
    by_hash = DatasetInputSpec(name="cards-hash", digest=("ab" * 32)[:20], source_type="code", source="{}")
    unknown = DatasetInputSpec(name="other", digest="deadbeef", source_type="code", source="{}")
    inputs = run_inputs_log(run=run, by=alice, datasets=[by_uri, by_hash, unknown])
    run_inputs_log(run=run, by=alice, datasets=[by_uri])  # again: nothing new
    assert RunInput.objects.count() == 3
    assert [i.dataset.dataset_version for i in inputs] == [version, version, None]
    assert inputs[0].context == "training"
    assert Edge.objects.filter(source_id=version.pk, target_id=run.pk).count() == 1

    # bob cannot see the dataset: his run's input does not resolve to it
    bob_run = run_create(experiment=experiment_create(by=bob, name="B"), by=bob)
    bob_input = run_inputs_log(run=bob_run, by=bob, datasets=[by_uri])[0]
    assert bob_input.dataset.dataset_version is None


def test_input_validation(run, alice):
    spec = DatasetInputSpec(name="x", digest="d" * 37)
    assert code(lambda: run_inputs_log(run=run, by=alice, datasets=[spec])) == "INVALID_PARAMETER_VALUE"
    assert not RunInput.objects.exists()


def test_environment_capture_names_python_and_packages():
    environment = run_environment_capture()
    assert environment["python"].count(".") == 2
    assert "django" in environment["packages"]


def test_deleting_a_run_for_good_deletes_its_points_though_the_database_does_not_check_them(alice):
    """Metric.run has no constraint in the database (a check per point doubled a batch's cost);
    the ORM's cascade is what removes a run's points, here and when its experiment goes."""
    experiment = experiment_create(by=alice, name="Gone")
    runs = [run_create(experiment=experiment, by=alice) for _ in range(2)]
    for run in runs:
        run_batch_log(run=run, by=alice, metrics=[("loss", 1.0 / (step + 1), 7, step) for step in range(150)])
    kept = run_create(experiment=experiment_create(by=alice, name="Kept"), by=alice)
    run_metrics_log(run=kept, by=alice, metrics=[("loss", 0.5, 7, 0)])
    foreign_keys = [
        constraint
        for constraint in connection.introspection.get_constraints(
            connection.cursor(), Metric._meta.db_table
        ).values()
        if constraint["foreign_key"]
    ]
    assert foreign_keys == []

    runs[0].delete()
    assert not Metric.objects.filter(run_id=runs[0].pk).exists()
    assert Metric.objects.filter(run_id=runs[1].pk).count() == 150
    experiment.delete()
    assert not Metric.objects.filter(run_id=runs[1].pk).exists()
    assert list(Metric.objects.filter(run=kept).values_list("value", flat=True)) == [0.5]

"""Cross-team cases for the experiment and run pages (/experiments/), with private experiments and runs
as standard private assets.

Fraud owns a private experiment with a run (params, metrics, tags, an artifact): bob finds none of it
on any list page of the project, gets 404 on each of its routes exactly as if it did not exist, and is
refused changes to Fraud's internal one. Registered by `matrix_cases.py`, which imports this module.
"""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

PRIVATE_EXPERIMENT = "Chargeback propensity"
PRIVATE_DESCRIPTION = "Scoring disputes from the Osprey merchant portfolio"
PRIVATE_RUN = "osprey-gbm-run"
PRIVATE_METRIC = "osprey_recall_at_5"
PRIVATE_PARAM_VALUE = "osprey-feature-set-v9"
PRIVATE_ARTIFACT = "reports/osprey-summary.txt"
INTERNAL_EXPERIMENT = "Merchant attrition"
PRIVATE_RUN_THREAD = "Osprey recall regression"


def private_experiment(world):
    """Fraud's private experiment (get or create, so several cases share one)."""
    from apps.experiments.models import Experiment
    from apps.experiments.services.tracking import experiment_create

    found = Experiment.objects.filter(team=world.fraud_team, name=PRIVATE_EXPERIMENT).first()
    return found or experiment_create(
        team=world.fraud_team,
        by=world.alice,
        name=PRIVATE_EXPERIMENT,
        description=PRIVATE_DESCRIPTION,
        visibility="private",
    )


def private_run(world):
    """A finished run of the private experiment with a secret param, metric and artifact."""
    from apps.core.history import acting_user
    from apps.experiments.models import LatestMetric, Metric, Param, Run, RunTag
    from apps.experiments.services.artifacts import artifact_store_bytes

    experiment = private_experiment(world)
    found = Run.objects.filter(experiment=experiment, name=PRIVATE_RUN).first()
    if found is not None:
        return found
    with acting_user(world.alice):
        run = Run.objects.create(
            experiment=experiment,
            name=PRIVATE_RUN,
            user=world.alice,
            user_name="alice",
            status="FINISHED",
            start_time=1_700_000_000_000,
            end_time=1_700_000_060_000,
            description="Osprey notes",
        )
        RunTag.objects.create(run=run, key="osprey_stage", value="shadow")
        Param.objects.create(run=run, key="feature_set", value=PRIVATE_PARAM_VALUE)
        for step, value in enumerate((0.41, 0.52, 0.61)):
            Metric.objects.create(
                run=run, key=PRIVATE_METRIC, value=value, step=step, timestamp=1_700_000_000_000
            )
        LatestMetric.objects.create(
            run=run, key=PRIVATE_METRIC, value=0.61, step=2, timestamp=1_700_000_000_000
        )
    artifact_store_bytes(run=run, path=PRIVATE_ARTIFACT, content=b"osprey summary", by=world.alice)
    return run


def internal_experiment(world):
    """Fraud's internal experiment with one run: bob may read both, not change them."""
    from apps.core.history import acting_user
    from apps.experiments.models import Experiment, Run
    from apps.experiments.services.tracking import experiment_create

    experiment = Experiment.objects.filter(team=world.fraud_team, name=INTERNAL_EXPERIMENT).first()
    if experiment is None:
        experiment = experiment_create(
            team=world.fraud_team, by=world.alice, name=INTERNAL_EXPERIMENT, visibility="internal"
        )
        with acting_user(world.alice):
            Run.objects.create(experiment=experiment, name="churn-baseline", status="FINISHED")
    return experiment


@private_asset("experiment")
def private_experiment_asset(world) -> list[str]:
    experiment = private_experiment(world)
    return [experiment.name, PRIVATE_DESCRIPTION, f"/experiments/{experiment.pk}/"]


@private_asset("run")
def private_run_asset(world) -> list[str]:
    run = private_run(world)
    return [
        run.name,
        run.uuid,
        f"/experiments/runs/{run.uuid}/",
        PRIVATE_METRIC,
        PRIVATE_PARAM_VALUE,
        "osprey_stage",
        PRIVATE_ARTIFACT,
        "Osprey notes",
    ]


# --- lists, exports, create --------------------------------------------------------------------


@matrix_case("experiments:experiment_list", "experiments:experiment_export")
def experiment_lists(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"q": "Chargeback"},
            {"team": fraud},
            {"lifecycle": "all"},
            {"lifecycle": "deleted"},
            {"sort": "-runs"},
            {"sort": "-last_run"},
        ]
    )


@matrix_case("experiments:experiment_create")
def experiment_create_form(world):
    return Listing()


@matrix_case("experiments:experiment_create")
def experiment_create_in_another_team(world):
    data = {"team": world.fraud_team.pk, "name": "Sneaky", "visibility": "private"}
    return Listing(method="POST", data=data, status=200)  # the form again, with an error on the team


# --- one experiment ----------------------------------------------------------------------------


@matrix_case(
    "experiments:experiment_detail",
    "experiments:experiment_about",
    "experiments:experiment_runs_export",
    "experiments:experiment_columns",
    "experiments:experiment_edit",
    "experiments:experiment_delete",
    "experiments:experiment_restore",
    "experiments:experiment_history",
)
def private_experiment_routes(world):
    experiment = private_experiment(world)
    private_run(world)
    return Private(kwargs={"pk": experiment.pk}, obj=experiment)


@matrix_case("experiments:experiment_edit", "experiments:experiment_delete", "experiments:experiment_restore")
def internal_experiment_changes(world):
    experiment = internal_experiment(world)
    return Refused(kwargs={"pk": experiment.pk}, obj=experiment)


# --- one run -----------------------------------------------------------------------------------


@matrix_case(
    "experiments:run_detail",
    "experiments:run_params",
    "experiments:run_metrics",
    "experiments:run_metrics_export",
    "experiments:run_artifacts",
    "experiments:run_note",
    "experiments:run_delete",
    "experiments:run_restore",
    "experiments:run_history",
)
def private_run_routes(world):
    run = private_run(world)
    return Private(kwargs={"uuid": run.uuid}, obj=run)


@matrix_case("experiments:run_artifact_download")
def private_run_artifact(world):
    run = private_run(world)
    return Private(kwargs={"uuid": run.uuid, "path": PRIVATE_ARTIFACT}, obj=run)


@matrix_case("experiments:run_note", "experiments:run_delete", "experiments:run_restore")
def internal_run_changes(world):
    run = internal_experiment(world).runs.get()
    return Refused(kwargs={"uuid": run.uuid}, obj=run)


def private_run_thread(world):
    """alice's discussion on the private run (get or create)."""
    from apps.community.models import Thread
    from apps.community.services import thread_create

    run = private_run(world)
    return Thread.objects.filter(title=PRIVATE_RUN_THREAD).first() or thread_create(
        by=world.alice, title=PRIVATE_RUN_THREAD, body="Recall fell on Osprey", asset=run, rate_limited=False
    )


@private_asset("run_discussion")
def private_run_discussion_asset(world) -> list[str]:
    thread = private_run_thread(world)
    return [PRIVATE_RUN_THREAD, f"/community/t/{thread.pk}/"]


@matrix_case("community:asset_discussions")
def private_run_discussions(world):
    # A discussion on a private run is as private as the run: its Discussion tab is 404 for bob.
    private_run_thread(world)
    run = private_run(world)
    return Private(kwargs={"label": "experiments.run", "pk": run.pk}, obj=run)


@matrix_case("community:thread_detail", "community:post_create")
def private_run_thread_routes(world):
    thread = private_run_thread(world)
    return Private(kwargs={"pk": thread.pk}, obj=thread)


# --- compare: private runs named in the URL are dropped silently ------------------------------


@matrix_case("experiments:run_compare", "experiments:run_compare_export")
def compare_private_runs(world):
    # Asking for private runs answers exactly as asking for runs that do not exist.
    private = private_run(world)
    return Listing(
        queries=[
            {"runs": private.uuid},
            {"runs": f"{private.uuid},{'0' * 32}"},
            {"runs": private.uuid, "chart": "parallel", "parallel_metric": PRIVATE_METRIC},
            {"runs": private.uuid, "metric": PRIVATE_METRIC},
        ]
    )


@matrix_case("experiments:run_compare", "experiments:run_compare_export")
def compare_private_with_visible_runs(world):
    # Beside runs bob may see, the private one is dropped: none of its values appear.
    private = private_run(world)
    visible = internal_experiment(world).runs.get()
    both = f"{private.uuid},{visible.uuid}"
    return Listing(
        queries=[
            {"runs": both},
            {"runs": both, "chart": "diff"},
            {"runs": both, "chart": "parallel", "parallel_metric": PRIVATE_METRIC},
            {"runs": both, "metric": PRIVATE_METRIC},
        ],
        compare_without=False,  # the visible run goes with the savepoint too
    )

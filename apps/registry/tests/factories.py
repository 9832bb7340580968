"""Factories for registry tests and matrix cases: experiments, runs and logged models, no MLflow API."""

from __future__ import annotations

from apps.core.history import acting_user


def make_experiment(team, user, name="Card fraud", visibility="private"):
    from apps.experiments.models import Experiment

    with acting_user(user):
        experiment = Experiment.objects.create(team=team, name=name, visibility=visibility, created_by=user)
        experiment.artifact_location = f"mlflow-artifacts:/{experiment.pk}"
        experiment.save()
    return experiment


def make_run(experiment, user, name="gbm-baseline"):
    from apps.experiments.models import Run

    with acting_user(user):
        run = Run.objects.create(experiment=experiment, name=name, user=user, user_name=user.get_username())
        run.artifact_uri = f"{experiment.artifact_location}/{run.uuid}/artifacts"
        run.save()
    return run


def make_logged_model(run, user, name="model"):
    from apps.experiments.models import LoggedModel, LoggedModelStatus

    with acting_user(user):
        logged = LoggedModel.objects.create(
            experiment=run.experiment, name=name, source_run=run, user=user, status=LoggedModelStatus.READY
        )
        logged.artifact_location = f"mlflow-artifacts:/{run.experiment_id}/models/{logged.model_id}/artifacts"
        logged.save()
    return logged

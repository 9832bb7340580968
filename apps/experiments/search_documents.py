"""How experiments and runs are indexed by search (registered in ExperimentsConfig.ready()).

A run has no permissions of its own: its entry carries its experiment's team and visibility
and names the experiment as the object that governs it (`access`), so grants on the
experiment open its runs too. Deleted experiments and runs are not searchable.
"""

from __future__ import annotations

from apps.core.assets import SearchEntry, register_search

# MLflow's system tags (mlflow.user, mlflow.source.name …) say nothing a person searches for.
SYSTEM_TAG_PREFIX = "mlflow."
PARAMS_IN_BODY = 50  # enough to find a run by its estimator or a hyper-parameter


def _user_tags(tags) -> list:
    return [tag for tag in tags if not tag.key.startswith(SYSTEM_TAG_PREFIX)]


def experiment_document(experiment) -> SearchEntry | None:
    """An experiment: name; description and its own tags as body."""
    if experiment.lifecycle_stage != "active":
        return None
    tags = _user_tags(experiment.tags.all())
    body = " ".join(part for part in (experiment.description, *(f"{t.key} {t.value}" for t in tags)) if part)
    return SearchEntry(
        title=experiment.name,
        body=body,
        team_id=experiment.team_id,
        visibility=experiment.visibility,
        url=experiment.get_absolute_url(),
    )


def run_document(run) -> SearchEntry | None:
    """A run: visible exactly when its experiment is; found by name, experiment, params, tags, code."""
    experiment = run.experiment
    if run.lifecycle_stage != "active" or experiment.lifecycle_stage != "active":
        return None
    params = list(run.params.all())[:PARAMS_IN_BODY]
    tags = _user_tags(run.tags.all())
    body = " ".join(
        part
        for part in (
            experiment.name,
            run.description,
            run.user_name or (run.user.username if run.user_id and run.user else ""),
            run.source_name,
            run.entry_point,
            run.git_commit[:12],
            *(f"{param.key} {param.value[:100]}" for param in params),
            *(f"{tag.key} {tag.value[:100]}" for tag in tags),
        )
        if part
    )
    return SearchEntry(
        title=run.name or run.uuid,
        body=body,
        team_id=experiment.team_id,
        visibility=experiment.visibility,
        url=run.get_absolute_url(),
        access=experiment,
        status=run.status.lower(),
    )


def _runs():
    from apps.experiments.models import Run

    return Run.objects.select_related("experiment", "user").prefetch_related("params", "tags")


def register() -> None:
    from apps.experiments.models import Experiment, Run

    register_search(
        Experiment,
        document=experiment_document,
        queryset=lambda: Experiment.objects.prefetch_related("tags"),
        # A run's entry embeds its experiment's name, team, visibility and lifecycle.
        dependents=lambda experiment: _runs().filter(experiment=experiment),
    )
    register_search(Run, document=run_document, queryset=_runs)

"""The demo experiments: believable runs logged through the tracking services, seeded once."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from apps.demo.experiments import demo_experiments_ensure
from apps.experiments.models import Artifact, Experiment, LatestMetric, Metric, Run, RunInput
from apps.lineage.models import Edge
from apps.teams.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.JOB_HEARTBEAT_SECONDS = 600  # the demo training runs in-process: no lease to renew here
    call_command("seed_demo", verbosity=0)
    return {user.username: user for user in get_user_model().objects.all()}


def test_the_demo_has_experiments_with_believable_runs(seeded):
    card_fraud = Experiment.objects.get(team__name="Fraud Analytics", name="Card fraud detection")
    runs = card_fraud.runs.all()
    assert 20 <= runs.count() <= 30
    assert set(runs.values_list("status", flat=True)) == {"FINISHED", "FAILED", "RUNNING"}
    estimators = set(card_fraud.runs.filter(params__key="estimator").values_list("params__value", flat=True))
    assert {"LogisticRegression", "RandomForestClassifier", "GradientBoostingClassifier"} <= estimators
    search = runs.get(name="gbm-random-search")
    assert search.children.count() >= 10
    # Loss curves over steps, the reproducibility fields, and the note on the best trial.
    best = runs.exclude(description="").get()
    assert best.parent == search
    assert Metric.objects.filter(run=best, key="val_loss").count() >= 20
    assert best.git_commit and best.git_repo and best.environment["packages"]["scikit-learn"]
    assert best.seed == 42
    assert Artifact.objects.filter(run=best, path="plots/roc_curve.plotly.json").exists()
    best_auc = LatestMetric.objects.get(run=best, key="roc_auc").value
    others = LatestMetric.objects.filter(run__parent=search, key="roc_auc").exclude(run=best)
    assert all(metric.value <= best_auc for metric in others)
    # Every run read the shop's payments version: a lineage edge from the version to the run.
    inputs = RunInput.objects.filter(run__experiment=card_fraud).select_related("dataset__dataset_version")
    assert inputs.count() == runs.count()
    version = inputs.first().dataset.dataset_version
    assert version is not None and version.dataset.name == "payments"
    run_type = ContentType.objects.get_for_model(Run)
    assert Edge.objects.filter(target_type=run_type, target_id=best.pk, source_id=version.pk).exists()


def test_private_demo_experiments_stay_in_their_team_and_the_internal_one_is_for_everyone(seeded):
    bob, rita, alice = seeded["bob"], seeded["rita"], seeded["alice"]
    visible_to_rita = set(Experiment.objects.restrict(rita).values_list("name", flat=True))
    assert visible_to_rita == {"Iris species — getting started", "Breast cancer screening"}
    assert "Card fraud detection" not in set(Experiment.objects.restrict(bob).values_list("name", flat=True))
    assert Run.objects.restrict(alice).filter(experiment__name="Card fraud detection").exists()
    assert not Run.objects.restrict(bob).filter(experiment__name="Card fraud detection").exists()
    assert Experiment.objects.filter(team__name="ML Engineering", visibility="private").exists()


def test_a_real_training_job_trained_the_registered_champion(seeded):
    from apps.jobs.models import Job
    from apps.registry.models import RegisteredModel

    job = Job.objects.get(kind="experiments.train")
    assert (job.status, job.requester.username) == ("succeeded", "alice")
    run = Run.objects.get(training_job=job)
    assert run.status == "FINISHED" and run.seed == 42
    assert LatestMetric.objects.get(run=run, key="roc_auc").value > 0.95
    paths = set(Artifact.objects.filter(run=run).values_list("path", flat=True))
    assert {"model/MLmodel", "model/model.skops", "plots/confusion_matrix.plotly.json"} <= paths
    model = RegisteredModel.objects.get(name="breast-cancer-screening")
    champion = model.aliases.get(alias="champion").model_version
    assert (champion.version, champion.run, champion.source) == (1, run, f"runs:/{run.uuid}/model")
    # Internal: every signed-in user finds the model and its run.
    assert RegisteredModel.objects.restrict(seeded["bob"]).filter(pk=model.pk).exists()


def test_seeding_the_experiments_again_creates_nothing(seeded):
    teams = {team.name: team for team in Team.objects.all()}
    before = (Experiment.objects.count(), Run.objects.count(), Metric.objects.count(), Edge.objects.count())
    assert demo_experiments_ensure(teams=teams, by=seeded["admin"]) == {}
    after = (Experiment.objects.count(), Run.objects.count(), Metric.objects.count(), Edge.objects.count())
    assert after == before

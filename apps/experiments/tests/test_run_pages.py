"""Run pages (overview, params, metrics, artifacts, note, delete/restore, history) and the compare view."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Dataset, DatasetVersion
from apps.core.history import acting_user
from apps.experiments.models import LoggedDataset, Run, RunInput
from apps.experiments.pages_data import build_experiment
from apps.experiments.services.artifacts import artifact_store_bytes
from apps.experiments.services.tracking import experiment_create
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def experiment(fraud_team, alice):
    return build_experiment(team=fraud_team, by=alice, runs=5, children=2, steps=6)


@pytest.fixture
def run(experiment):
    return Run.objects.get(experiment=experiment, name="gradient-boosting-2")


def url(name, run, **query):
    from urllib.parse import urlencode

    return reverse(f"experiments:{name}", args=[run.uuid]) + (
        f"?{urlencode(query, doseq=True)}" if query else ""
    )


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- overview ------------------------------------------------------------------------------------


def test_the_overview_shows_code_environment_seed_children_and_figures(signed_in, alice, run):
    response = signed_in(alice).get(run.get_absolute_url())
    body = text(response)
    assert response.status_code == 200
    assert run.git_commit[:10] in body and "git.example.org/fraud/card-models.git" in body
    assert "scikit-learn" in body and "3.11.7" in body
    assert f"<code>{run.seed}</code>" in body
    assert "search-trial-1" in body and "Compare them" in body
    assert "plots/confusion_matrix.plotly.json" in body
    figure = response.context["figures"]["run-plot-0-data"]
    assert figure["data"][0]["type"] == "heatmap"
    json.dumps(figure)
    assert 'src="/static/plotly/plotly.min.js"' in body


def test_the_overview_links_the_dataset_versions_the_reader_may_see(
    signed_in, alice, bob, run, fraud_team, root
):
    with acting_user(alice):
        private = Dataset.objects.create(team=fraud_team, name="Card ledger", slug="card-ledger")
        version = DatasetVersion.objects.create(dataset=private, number=3, content_hash="abc")
    logged = LoggedDataset.objects.create(
        experiment=run.experiment, name="ledger", digest="d1g3st", dataset_version=version
    )
    RunInput.objects.create(run=run, dataset=logged, context="training")
    body = text(signed_in(alice).get(run.get_absolute_url()))
    assert version.get_absolute_url() in body and "Card ledger v3" in body and "training" in body
    run.experiment.visibility = "internal"
    run.experiment.save()
    outsider = text(signed_in(bob).get(run.get_absolute_url()))
    assert "ledger" in outsider and "a version you may not see" in outsider
    assert version.get_absolute_url() not in outsider and "Card ledger" not in outsider


def test_the_training_job_is_linked_only_for_those_who_may_see_it(signed_in, alice, bob, run, fraud_team):
    job = Job.objects.create(kind="experiments.train", team=fraud_team, requester=alice, status="succeeded")
    Run.objects.filter(pk=run.pk).update(training_job=job)
    assert job.get_absolute_url() in text(signed_in(alice).get(run.get_absolute_url()))
    run.experiment.visibility = "internal"
    run.experiment.save()
    body = text(signed_in(bob).get(run.get_absolute_url()))
    assert job.get_absolute_url() not in body and "not visible to you" in body


def test_the_note_is_edited_in_place_and_rendered_as_markdown(signed_in, alice, run):
    client = signed_in(alice)
    form = client.get(url("run_note", run), headers={"HX-Request": "true"})
    assert "<textarea" in text(form)
    saved = client.post(
        url("run_note", run), {"note": "Deeper trees **overfit**"}, headers={"HX-Request": "true"}
    )
    assert "<strong>overfit</strong>" in text(saved) and "Saved." in text(saved)
    run.refresh_from_db()
    assert run.description == "Deeper trees **overfit**"
    plain = client.post(url("run_note", run), {"note": "Plain post"})
    assert plain.status_code == 302


def test_readers_may_not_edit_the_note_or_delete_the_run(signed_in, ann, run):
    client = signed_in(ann)
    assert "Add a note" not in text(client.get(run.get_absolute_url()))
    assert client.post(url("run_note", run), {"note": "x"}).status_code == 403
    assert client.post(url("run_delete", run)).status_code == 403
    run.refresh_from_db()
    assert run.description == "" and run.lifecycle_stage == "active"


def test_a_run_is_deleted_and_restored_from_its_page(signed_in, alice, run):
    client = signed_in(alice)
    assert "Delete run" in text(client.get(url("run_delete", run)))
    response = client.post(url("run_delete", run))
    assert response["Location"] == run.experiment.get_absolute_url()
    run.refresh_from_db()
    assert run.lifecycle_stage == "deleted"
    assert url("run_restore", run).split("?")[0] in text(client.get(run.get_absolute_url()))
    client.post(url("run_restore", run))
    run.refresh_from_db()
    assert run.lifecycle_stage == "active"


def test_the_run_history_shows_the_deletion(signed_in, alice, run):
    client = signed_in(alice)
    client.post(url("run_delete", run))
    body = text(client.get(url("run_history", run)))
    assert "deleted" in body.lower() and "alice" in body


def test_an_unknown_run_is_a_404(signed_in, alice):
    assert signed_in(alice).get(reverse("experiments:run_detail", args=["0" * 32])).status_code == 404
    assert signed_in(alice).get(reverse("experiments:run_detail", args=["x" * 300])).status_code == 404


# --- params and metrics -------------------------------------------------------------------------


def test_the_params_tab_lists_every_param_with_a_csv(signed_in, alice, run):
    client = signed_in(alice)
    body = text(client.get(url("run_params", run)))
    assert "n_estimators" in body and "gradient_boosting" in body
    rows = list(csv.reader(io.StringIO(text(client.get(url("run_params", run, format="csv"))))))
    assert rows[0] == ["key", "value"] and ["model", "gradient_boosting"] in rows


def test_the_metrics_tab_draws_one_chart_per_metric_with_its_csv(signed_in, alice, run):
    client = signed_in(alice)
    response = client.get(url("run_metrics", run))
    assert response.status_code == 200
    assert len(response.context["figures"]) == 5
    keys = [item["metric"].key for item in response.context["metrics"]]
    assert keys == ["accuracy", "f1", "roc_auc", "train_loss", "val_loss"]
    rows = list(csv.reader(io.StringIO(text(client.get(url("run_metrics_export", run, key="f1"))))))
    assert rows[0] == ["run", "run_id", "metric", "step", "value", "timestamp_ms"]
    assert [row[3] for row in rows[1:]] == [str(step) for step in range(6)]
    everything = list(csv.reader(io.StringIO(text(client.get(url("run_metrics_export", run))))))
    assert len(everything) == 1 + 5 * 6


def test_the_metrics_tab_runs_a_fixed_number_of_queries(signed_in, alice, fraud_team):
    experiment = build_experiment(
        team=fraud_team, by=alice, runs=2, children=0, steps=50, extra_metrics=20, artifacts=False
    )
    run = experiment.runs.order_by("id").last()
    client = signed_in(alice)
    client.get(url("run_metrics", run))
    with CaptureQueriesContext(connection) as captured:
        client.get(url("run_metrics", run))
    # session, user, run, may change?, latest metrics, every point in one query; the header's
    # Discussion count and Follow button (following? followers)
    assert len(captured) <= 11


# --- artifacts ----------------------------------------------------------------------------------


def test_the_artifact_browser_lists_folders_first_with_sizes(signed_in, alice, run):
    response = signed_in(alice).get(url("run_artifacts", run))
    entries = response.context["entries"]
    assert [entry.name for entry in entries] == ["model", "plots", "metrics.json", "predictions.csv"]
    assert entries[0].is_dir and entries[0].files == 3 and entries[0].size > 2000
    folder = signed_in(alice).get(url("run_artifacts", run, path="model")).context["entries"]
    assert [entry.name for entry in folder] == ["MLmodel", "model.skops", "requirements.txt"]


def test_text_csv_json_and_plotly_artifacts_are_previewed(signed_in, alice, run):
    client = signed_in(alice)
    csv_preview = client.get(url("run_artifacts", run, path="predictions.csv")).context["preview"]
    assert csv_preview["kind"] == "table" and csv_preview["header"] == ["id", "label", "score"]
    json_preview = client.get(url("run_artifacts", run, path="metrics.json")).context["preview"]
    assert json_preview["kind"] == "text" and '"accuracy": 0.951' in json_preview["text"]
    figure = client.get(url("run_artifacts", run, path="plots/feature_importance.plotly.json"))
    assert figure.context["preview"]["kind"] == "figure"
    assert 'id="artifact-figure-data"' in text(figure)
    binary = client.get(url("run_artifacts", run, path="model/model.skops")).context["preview"]
    assert binary["kind"] == "none"


def test_stored_markup_in_an_artifact_is_shown_as_text(signed_in, alice, run):
    artifact_store_bytes(run=run, path="notes.html", content=b"<script>alert(1)</script>", by=alice)
    body = text(signed_in(alice).get(url("run_artifacts", run, path="notes.html")))
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_an_artifact_downloads_as_an_attachment_streamed_from_storage(signed_in, alice, run):
    artifact_store_bytes(run=run, path="report.html", content=b"<h1>hi</h1>", by=alice)
    client = signed_in(alice)
    response = client.get(reverse("experiments:run_artifact_download", args=[run.uuid, "report.html"]))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == b"<h1>hi</h1>"
    assert response["Content-Disposition"].startswith('attachment; filename="report.html"')
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["../etc/passwd", "nope.txt", "model", "%2e%2e/x"])
def test_unknown_or_unsafe_artifact_paths_are_404(signed_in, alice, run, path):
    response = signed_in(alice).get(reverse("experiments:run_artifact_download", args=[run.uuid, path]))
    assert response.status_code == 404


def test_a_missing_artifact_path_falls_back_to_the_top_folder(signed_in, alice, run):
    response = signed_in(alice).get(url("run_artifacts", run, path="no/such/thing"))
    assert response.status_code == 200 and response.context["missing"]
    assert "No file or folder" in text(response)


def test_a_run_without_artifacts_says_how_to_log_them(signed_in, alice, experiment):
    run = Run.objects.get(experiment=experiment, name="random-forest-4")
    assert "No artifacts" in text(signed_in(alice).get(url("run_artifacts", run)))


# --- discussion and follow ----------------------------------------------------------------------


def test_a_discussion_on_a_run_is_seen_by_the_team_under_the_run_header(signed_in, alice, ann, run):
    from apps.community.services import thread_create

    thread_create(
        by=alice, title="Why did recall drop?", body="Compare with run 1", asset=run, rate_limited=False
    )
    page = text(signed_in(ann).get(run.get_absolute_url()))
    discussions = f"/community/discussions/on/experiments.run/{run.pk}/"
    assert f'href="{discussions}"' in page and 'id="discussion-count">1<' in page
    assert f'name="target" value="experiments.run:{run.pk}"' in page  # the Follow button
    response = signed_in(ann).get(discussions)
    body = text(response)
    assert response.status_code == 200
    assert "Why did recall drop?" in body
    # The run's own header and tabs, with Discussion active.
    assert reverse("experiments:run_params", args=[run.uuid]) in body
    assert "Inputs &amp; lineage" in body
    assert f'href="{discussions}" class="nav-link active"' in body


def test_a_discussion_on_a_run_is_404_for_an_outsider(signed_in, alice, bob, run):
    from apps.community.services import thread_create

    thread = thread_create(by=alice, title="Leakage?", body="Check the split", asset=run, rate_limited=False)
    client = signed_in(bob)
    assert client.get(f"/community/discussions/on/experiments.run/{run.pk}/").status_code == 404
    assert client.get(f"/community/t/{thread.pk}/").status_code == 404
    assert "Leakage?" not in text(client.get("/community/"))


def test_the_experiment_discussion_tab_shows_the_experiment_header(signed_in, alice, experiment):
    page = text(signed_in(alice).get(experiment.get_absolute_url()))
    discussions = f"/community/discussions/on/experiments.experiment/{experiment.pk}/"
    assert f'href="{discussions}"' in page
    body = text(signed_in(alice).get(discussions))
    assert reverse("experiments:experiment_about", args=[experiment.pk]) in body
    assert "New discussion" in body


# --- compare ------------------------------------------------------------------------------------


def compare_url(*runs, **query):
    from urllib.parse import urlencode

    return (
        reverse("experiments:run_compare")
        + "?"
        + urlencode({"runs": ",".join(r.uuid for r in runs), **query}, doseq=True)
    )


def test_the_compare_view_overlays_curves_draws_parallel_coordinates_and_diffs(signed_in, alice, experiment):
    runs = list(experiment.runs.filter(parent__isnull=True).order_by("id")[:3])
    response = signed_in(alice).get(compare_url(*runs))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert {"compare-parallel-data", "compare-metric-0-data"} <= set(figures)
    assert len(figures["compare-metric-0-data"]["data"]) == 3  # one line per run
    keys = {row.key for row in response.context["diff_rows"]}
    assert {"model", "max_depth", "accuracy", "val_loss"} <= keys
    dimensions = [d["label"] for d in figures["compare-parallel-data"]["data"][0]["dimensions"]]
    assert dimensions[-1] == response.context["parallel_metric"]
    assert "seed" in dimensions  # differing params only; every run has its own seed


def test_the_compare_view_accepts_repeated_run_parameters_from_the_checkboxes(signed_in, alice, experiment):
    first, second = experiment.runs.order_by("id")[:2]
    response = signed_in(alice).get(
        reverse("experiments:run_compare") + f"?runs={first.uuid}&runs={second.uuid}"
    )
    assert [run for run, _, _ in response.context["runs"]] == [first, second]


def test_invisible_runs_are_dropped_silently(signed_in, bob, alice, experiment, fraud_team):
    private = experiment.runs.order_by("id").first()
    internal = build_experiment(
        team=fraud_team,
        by=alice,
        name="Open",
        visibility="internal",
        runs=2,
        children=0,
        steps=3,
        artifacts=False,
    )
    visible = list(internal.runs.order_by("id"))
    response = signed_in(bob).get(compare_url(private, *visible))
    assert [run for run, _, _ in response.context["runs"]] == visible
    body = text(response)
    assert private.uuid not in body and "Card fraud classifier" not in body


def test_fewer_than_two_visible_runs_explain_what_to_do(signed_in, alice, experiment):
    first = experiment.runs.first()
    body = text(signed_in(alice).get(compare_url(first)))
    assert "Pick at least two runs to compare" in body
    assert "Pick at least two runs" in text(
        signed_in(alice).get(reverse("experiments:run_compare") + "?runs=,,,")
    )


def test_every_compare_chart_has_its_data_as_csv(signed_in, alice, experiment):
    runs = list(experiment.runs.filter(parent__isnull=True).order_by("id")[:2])
    client = signed_in(alice)
    export = reverse("experiments:run_compare_export")
    ids = ",".join(run.uuid for run in runs)
    metric = list(csv.reader(io.StringIO(text(client.get(f"{export}?runs={ids}&chart=metric&key=f1")))))
    assert metric[0][:4] == ["run", "run_id", "metric", "step"] and {row[1] for row in metric[1:]} == {
        r.uuid for r in runs
    }
    parallel = list(
        csv.reader(io.StringIO(text(client.get(f"{export}?runs={ids}&chart=parallel&parallel_metric=f1"))))
    )
    assert parallel[0][0:2] == ["run", "run_id"] and parallel[0][-1] == "f1" and len(parallel) == 3
    diff = list(csv.reader(io.StringIO(text(client.get(f"{export}?runs={ids}&chart=diff")))))
    assert diff[0][:2] == ["kind", "key"] and any(row[:2] == ["param", "model"] for row in diff)
    assert client.get(f"{export}?runs={ids}&chart=metric&key=nope").status_code == 404


def test_the_compare_view_runs_a_fixed_number_of_queries(signed_in, alice, fraud_team):
    experiment = build_experiment(
        team=fraud_team, by=alice, runs=12, children=0, steps=20, extra_metrics=6, artifacts=False
    )
    runs = list(experiment.runs.order_by("id"))
    client = signed_in(alice)
    client.get(compare_url(*runs[:2]))

    def count(selected):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(compare_url(*selected)).status_code == 200
        return len(captured)

    # session, user, runs (+ experiment, team, user), params, latest metrics, metric histories
    assert count(runs[:2]) == count(runs) == 6


def test_compare_needs_a_signed_in_user(client, experiment):
    response = client.get(compare_url(*experiment.runs.all()[:2]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deleted_experiment_still_lists_under_all_states(signed_in, alice, fraud_team):
    experiment = experiment_create(team=fraud_team, by=alice, name="Gone")
    signed_in(alice).post(reverse("experiments:experiment_delete", args=[experiment.pk]))
    assert signed_in(alice).get(experiment.get_absolute_url()).status_code == 200

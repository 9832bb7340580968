"""Experiment pages: the list, create/edit/delete/restore, the runs table, its columns and CSV."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.experiments.models import Experiment, LatestMetric, Param, Run, RunTag
from apps.experiments.pages_data import build_experiment
from apps.experiments.services.tracking import experiment_create, experiment_delete, run_delete

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
    return build_experiment(team=fraud_team, by=alice, runs=5, children=2, steps=6, artifacts=False)


def list_url(**query):
    return reverse("experiments:experiment_list") + (f"?{urlencode(query)}" if query else "")


def runs_url(experiment, **query):
    return experiment.get_absolute_url() + (f"?{urlencode(query, doseq=True)}" if query else "")


def names(response):
    return [row.run.name for row in response.context["rows"]]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_the_teams_experiments_with_run_counts(signed_in, alice, experiment):
    response = signed_in(alice).get(list_url())
    assert list(response.context["object_list"]) == [experiment]
    assert response.context["object_list"][0].run_count == 7
    assert "Card fraud classifier" in response.content.decode()


def test_an_outsider_sees_internal_experiments_only(signed_in, bob, experiment, fraud_team, alice):
    internal = experiment_create(team=fraud_team, by=alice, name="Merchant churn", visibility="internal")
    response = signed_in(bob).get(list_url())
    body = response.content.decode()
    assert list(response.context["object_list"]) == [internal]
    assert "Card fraud classifier" not in body
    assert "1 experiment you may see" in body


def test_filters_combine_text_team_and_state(signed_in, alice, experiment, fraud_team, platform_team, root):
    other = experiment_create(team=fraud_team, by=alice, name="Merchant churn")
    experiment_delete(experiment=other, by=alice)
    client = signed_in(root)
    assert list(client.get(list_url(q="fraud")).context["object_list"]) == [experiment]
    assert list(client.get(list_url(team=platform_team.slug)).context["object_list"]) == []
    assert list(client.get(list_url(lifecycle="deleted")).context["object_list"]) == [other]
    assert set(client.get(list_url(lifecycle="all")).context["object_list"]) == {experiment, other}


def test_the_list_sorts_by_runs_and_last_run(signed_in, alice, experiment, fraud_team):
    empty = experiment_create(team=fraud_team, by=alice, name="Aardvark")
    client = signed_in(alice)
    assert list(client.get(list_url(sort="-runs")).context["object_list"]) == [experiment, empty]
    assert list(client.get(list_url(sort="runs")).context["object_list"]) == [empty, experiment]
    assert list(client.get(list_url(sort="-last_run")).context["object_list"]) == [experiment, empty]
    assert list(client.get(list_url()).context["object_list"]) == [empty, experiment]


@pytest.mark.parametrize(
    "query", [{"sort": "drop table"}, {"team": "nope"}, {"lifecycle": "x"}, {"page": "999"}, {"page": "x"}]
)
def test_nonsense_in_the_list_query_never_fails(signed_in, alice, experiment, query):
    assert signed_in(alice).get(list_url(**query)).status_code == 200


def test_the_empty_list_says_how_to_point_the_mlflow_client_here(signed_in, alice):
    body = signed_in(alice).get(list_url()).content.decode()
    assert "No experiments yet — point the MLflow client at Atrium or train a model" in body
    assert "export MLFLOW_TRACKING_URI=http://testserver" in body
    assert "export MLFLOW_TRACKING_TOKEN=" in body
    assert reverse("account:token_list") in body
    assert reverse("experiments:experiment_create") in body


def test_the_list_runs_a_fixed_number_of_queries(signed_in, alice, fraud_team, django_assert_num_queries):
    client = signed_in(alice)
    experiment_create(team=fraud_team, by=alice, name="Experiment 0")
    client.get(list_url())
    few = count_queries(client, list_url())
    for index in range(1, 12):
        build_experiment(
            team=fraud_team,
            by=alice,
            name=f"Experiment {index}",
            runs=2,
            children=0,
            steps=2,
            artifacts=False,
        )
    # session, user, count, page (team, run count and last run as subqueries), team choices, "may create?"
    with django_assert_num_queries(few):
        client.get(list_url())


def test_the_csv_export_has_the_filtered_list(signed_in, alice, experiment, fraud_team):
    experiment_create(team=fraud_team, by=alice, name="=HYPERLINK(1)")
    response = signed_in(alice).get(reverse("experiments:experiment_export") + "?q=fraud")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["name", "team", "visibility", "state", "runs"]
    assert [row[0] for row in rows[1:]] == ["Card fraud classifier"]
    assert rows[1][4] == "7"
    everything = signed_in(alice).get(reverse("experiments:experiment_export"))
    text = b"".join(everything.streaming_content).decode()
    assert "'=HYPERLINK(1)" in text  # a spreadsheet will not run it


# --- create, edit, delete, restore ----------------------------------------------------------------


def test_a_data_scientist_creates_an_experiment_in_her_team(signed_in, alice, fraud_team):
    response = signed_in(alice).post(
        reverse("experiments:experiment_create"),
        {"team": fraud_team.pk, "name": "Churn", "visibility": "private", "description": "Why *churn*?"},
    )
    experiment = Experiment.objects.get(name="Churn")
    assert response.status_code == 302 and response["Location"] == experiment.get_absolute_url()
    assert experiment.team == fraud_team and experiment.created_by == alice


def test_creating_a_duplicate_name_is_an_error_next_to_the_name(signed_in, alice, fraud_team, experiment):
    response = signed_in(alice).post(
        reverse("experiments:experiment_create"),
        {"team": fraud_team.pk, "name": experiment.name, "visibility": "private"},
    )
    assert response.status_code == 200
    assert "already has an experiment named" in str(response.context["form"].errors["name"])


def test_nobody_creates_in_a_team_where_they_may_not_add(signed_in, bob, ann, fraud_team):
    response = signed_in(bob).post(
        reverse("experiments:experiment_create"),
        {"team": fraud_team.pk, "name": "Sneaky", "visibility": "private"},
    )
    assert response.status_code == 200 and "team" in response.context["form"].errors
    assert signed_in(ann).get(reverse("experiments:experiment_create")).status_code == 403
    assert not Experiment.objects.filter(name="Sneaky").exists()


def test_editing_the_description_renders_it_as_sanitised_markdown(signed_in, alice, experiment):
    client = signed_in(alice)
    response = client.post(
        reverse("experiments:experiment_edit", args=[experiment.pk]),
        {
            "name": experiment.name,
            "visibility": "internal",
            "description": "**Goal**<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.visibility == "internal"
    body = client.get(reverse("experiments:experiment_about", args=[experiment.pk])).content.decode()
    assert "<strong>Goal</strong>" in body and "<script>alert(1)" not in body


def test_an_analyst_may_read_but_not_edit(signed_in, ann, experiment):
    client = signed_in(ann)
    assert client.get(experiment.get_absolute_url()).status_code == 200
    assert client.get(reverse("experiments:experiment_edit", args=[experiment.pk])).status_code == 403
    assert client.post(reverse("experiments:experiment_delete", args=[experiment.pk])).status_code == 403
    experiment.refresh_from_db()
    assert experiment.lifecycle_stage == "active"


def test_deleting_asks_first_then_deletes_with_the_runs_and_restoring_brings_them_back(
    signed_in, alice, experiment
):
    client = signed_in(alice)
    confirm = client.get(reverse("experiments:experiment_delete", args=[experiment.pk]))
    assert "7 active runs" in confirm.content.decode()
    response = client.post(reverse("experiments:experiment_delete", args=[experiment.pk]))
    assert response["Location"] == reverse("experiments:experiment_list")
    assert set(experiment.runs.values_list("lifecycle_stage", flat=True)) == {"deleted"}
    assert client.get(list_url()).context["object_list"].count() == 0
    page = client.get(experiment.get_absolute_url()).content.decode()
    assert "Deleted" in page and reverse("experiments:experiment_restore", args=[experiment.pk]) in page
    client.post(reverse("experiments:experiment_restore", args=[experiment.pk]))
    assert set(experiment.runs.values_list("lifecycle_stage", flat=True)) == {"active"}


def test_the_history_page_lists_the_changes(signed_in, alice, experiment):
    client = signed_in(alice)
    client.post(
        reverse("experiments:experiment_edit", args=[experiment.pk]),
        {"name": "Renamed", "visibility": "private", "description": ""},
    )
    body = client.get(reverse("experiments:experiment_history", args=[experiment.pk])).content.decode()
    assert "Renamed" in body and "Card fraud classifier" in body


# --- the runs table -----------------------------------------------------------------------------


def test_the_runs_table_shows_the_most_used_metrics_and_params_by_default(signed_in, alice, experiment):
    response = signed_in(alice).get(runs_url(experiment))
    columns = response.context["columns"]
    assert columns.metrics == ("accuracy", "f1", "roc_auc", "train_loss")
    assert columns.params == ("class_weight", "learning_rate", "max_depth")
    assert response.context["page_obj"].paginator.count == 7
    body = response.content.decode()
    assert 'name="runs"' in body and "Compare" in body
    # The header names the id the MLflow client takes (set_experiment(experiment_id=…)).
    assert f'MLflow experiment ID <code id="mlflow-experiment-id">{experiment.pk}</code>' in body


def test_runs_sort_by_a_metric_both_ways(signed_in, alice, experiment):
    client = signed_in(alice)
    values = dict(LatestMetric.objects.filter(key="accuracy").values_list("run__name", "value"))
    expected = sorted(values, key=values.get)
    assert names(client.get(runs_url(experiment, sort="metrics.accuracy"))) == expected
    assert names(client.get(runs_url(experiment, sort="-metrics.accuracy"))) == expected[::-1]


def test_runs_without_the_metric_sort_last_both_ways(signed_in, alice, experiment):
    LatestMetric.objects.filter(key="f1", run__name="search-trial-1").delete()
    client = signed_in(alice)
    assert names(client.get(runs_url(experiment, sort="metrics.f1")))[-1] == "search-trial-1"
    assert names(client.get(runs_url(experiment, sort="-metrics.f1")))[-1] == "search-trial-1"


def test_runs_sort_by_a_param_a_tag_and_attributes(signed_in, alice, experiment):
    client = signed_in(alice)
    by_param = client.get(runs_url(experiment, sort="params.model"))
    models = [Param.objects.get(run=row.run, key="model").value for row in by_param.context["rows"]]
    assert models == sorted(models)
    by_tag = client.get(runs_url(experiment, sort="-tags.stage"))
    stages = [RunTag.objects.get(run=row.run, key="stage").value for row in by_tag.context["rows"]]
    assert stages == sorted(stages, reverse=True)
    by_name = names(client.get(runs_url(experiment, sort="name")))
    assert by_name == sorted(by_name)
    durations = [
        row.run.end_time - row.run.start_time
        for row in client.get(runs_url(experiment, sort="-duration")).context["rows"]
        if row.run.end_time
    ]
    assert durations == sorted(durations, reverse=True)
    assert names(client.get(runs_url(experiment, sort="-duration")))[-1] == "random-forest-1"  # still running
    newest_first = [row.run.start_time for row in client.get(runs_url(experiment)).context["rows"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_the_status_state_and_name_filters_narrow_the_runs(signed_in, alice, experiment):
    client = signed_in(alice)
    assert names(client.get(runs_url(experiment, status="FAILED"))) == ["logistic-regression-3"]
    assert names(client.get(runs_url(experiment, q="trial"))) == ["search-trial-2", "search-trial-1"]
    run_delete(run=Run.objects.get(name="random-forest-4"), by=alice)
    assert "random-forest-4" not in names(client.get(runs_url(experiment)))
    assert names(client.get(runs_url(experiment, lifecycle="deleted"))) == ["random-forest-4"]


def test_nested_runs_show_their_parent_and_the_parent_its_child_count(signed_in, alice, experiment):
    response = signed_in(alice).get(runs_url(experiment))
    rows = {row.run.name: row for row in response.context["rows"]}
    assert rows["gradient-boosting-2"].children_count == 2
    assert rows["search-trial-1"].run.parent.name == "gradient-boosting-2"
    assert "child of" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "metrics."},
        {"sort": "-params.no such key"},
        {"sort": "'; drop table"},
        {"status": "EXPLODED"},
        {"lifecycle": "zombie"},
        {"page": "-1"},
        {"per_page": "100000"},
        {"q": "x" * 500},
    ],
)
def test_nonsense_in_the_runs_query_never_fails(signed_in, alice, experiment, query):
    assert signed_in(alice).get(runs_url(experiment, **query)).status_code == 200


def test_the_runs_table_is_an_htmx_partial_when_asked(signed_in, alice, experiment):
    response = signed_in(alice).get(
        runs_url(experiment, sort="-metrics.f1"), headers={"HX-Request": "true", "HX-Target": "runs"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="runs"') or 'id="runs"' in body.split("\n", 3)[1]
    assert "<html" not in body


def test_the_column_chooser_remembers_the_choice_per_experiment(signed_in, alice, experiment, fraud_team):
    client = signed_in(alice)
    other = build_experiment(
        team=fraud_team, by=alice, name="Other", runs=2, children=0, steps=2, artifacts=False
    )
    response = client.post(
        reverse("experiments:experiment_columns", args=[experiment.pk]),
        {"metrics": ["val_loss", "f1"], "params": ["model"], "tags": ["stage"], "next": "?sort=-metrics.f1"},
    )
    assert response["Location"] == experiment.get_absolute_url() + "?sort=-metrics.f1"
    page = client.get(runs_url(experiment))
    assert page.context["columns"].as_dict() == {
        "metrics": ["val_loss", "f1"],
        "params": ["model"],
        "tags": ["stage"],
    }
    row = next(row for row in page.context["rows"] if row.run.name == "gradient-boosting-2")
    assert row.params == ["gradient_boosting"] and row.tags[0] in {"candidate", "baseline"}
    assert client.get(runs_url(other)).context["columns"].metrics == (
        "accuracy",
        "f1",
        "roc_auc",
        "train_loss",
    )
    client.post(reverse("experiments:experiment_columns", args=[experiment.pk]), {"reset": "1"})
    assert client.get(runs_url(experiment)).context["columns"].metrics[0] == "accuracy"


def test_the_column_chooser_ignores_keys_the_experiment_does_not_have(signed_in, alice, experiment):
    client = signed_in(alice)
    client.post(
        reverse("experiments:experiment_columns", args=[experiment.pk]), {"metrics": ["no_such_metric"]}
    )
    assert client.get(runs_url(experiment)).context["columns"].metrics == (
        "accuracy",
        "f1",
        "roc_auc",
        "train_loss",
    )
    client.post(
        reverse("experiments:experiment_columns", args=[experiment.pk]),
        {"metrics": ["f1"], "next": "https://evil.example/"},
    )
    assert client.get(runs_url(experiment)).context["columns"].metrics == ("f1",)


def test_a_page_of_runs_costs_the_same_queries_whatever_its_size_and_columns(signed_in, alice, fraud_team):
    experiment = build_experiment(
        team=fraud_team, by=alice, runs=60, children=5, steps=3, extra_metrics=12, artifacts=False
    )
    client = signed_in(alice)
    columns_url = reverse("experiments:experiment_columns", args=[experiment.pk])
    client.post(columns_url, {"metrics": ["accuracy"], "params": ["model"], "tags": ["stage"]})
    narrow = count_queries(client, runs_url(experiment, per_page=25))
    client.post(
        columns_url,
        {
            "metrics": [f"extra_metric_{i:02d}" for i in range(12)] + ["accuracy", "val_loss"],
            "params": ["model", "max_depth", "seed", "n_estimators"],
            "tags": ["stage", "dataset"],
        },
    )
    wide = count_queries(client, runs_url(experiment, per_page=200, sort="-metrics.extra_metric_03"))
    by_param = count_queries(
        client, runs_url(experiment, per_page=100, sort="params.max_depth", status="FINISHED")
    )
    # session, user, experiment, 3 key lists (metrics, params, tags), count, the page of runs (user and
    # parent joined, child count and sort key as subqueries), one pivot per kind shown, "may change?",
    # the Discussion tab's count, the Follow button (following? followers)
    assert narrow == wide == by_param == 15
    client.post(columns_url, {"metrics": ["accuracy"]})
    assert count_queries(client, runs_url(experiment, per_page=200)) == 13  # no param or tag column: no pivot


def test_the_runs_page_costs_the_same_queries_for_10_runs_as_for_200(signed_in, alice, fraud_team):
    small = build_experiment(
        team=fraud_team, by=alice, name="Small", runs=10, children=0, steps=2, artifacts=False
    )
    large = build_experiment(
        team=fraud_team, by=alice, name="Large", runs=200, children=20, steps=2, artifacts=False
    )
    client = signed_in(alice)
    client.get(runs_url(small))  # the process's first page fills its caches (content types …)
    for query in (
        {},
        {"per_page": 200},
        {"sort": "-metrics.accuracy", "filter": "params.model = 'random_forest'"},
    ):
        assert count_queries(client, runs_url(small, **query)) == count_queries(
            client, runs_url(large, **query)
        )


def test_the_runs_csv_has_every_filtered_run_with_the_chosen_columns(signed_in, alice, experiment):
    client = signed_in(alice)
    client.post(
        reverse("experiments:experiment_columns", args=[experiment.pk]),
        {"metrics": ["f1"], "params": ["model"]},
    )
    response = client.get(
        reverse("experiments:experiment_runs_export", args=[experiment.pk])
        + "?status=FINISHED&sort=-metrics.f1"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        *["run_id", "name", "status", "user", "start_time", "duration_s", "parent_run_id"],
        *["metrics.f1", "params.model"],
    ]
    assert len(rows) - 1 == Run.objects.filter(experiment=experiment, status="FINISHED").count()
    f1 = [float(row[7]) for row in rows[1:]]
    assert f1 == sorted(f1, reverse=True)
    children = [row for row in rows[1:] if row[1].startswith("search-trial")]
    assert children and all(row[6] == Run.objects.get(name="gradient-boosting-2").uuid for row in children)


# --- the MLflow filter box ----------------------------------------------------------------------


def test_the_filter_box_takes_mlflows_grammar_on_metrics_params_tags_and_attributes(
    signed_in, alice, experiment
):
    client = signed_in(alice)
    best = LatestMetric.objects.filter(run__experiment=experiment, key="accuracy").order_by("-value")[:3]
    threshold = min(metric.value for metric in best)
    response = client.get(
        runs_url(experiment, filter=f"metrics.accuracy >= {threshold}", sort="-metrics.accuracy")
    )
    assert names(response) == [metric.run.name for metric in best]
    assert names(client.get(runs_url(experiment, filter="params.model = 'logistic_regression'"))) == [
        "logistic-regression-3"
    ]
    tagged = client.get(runs_url(experiment, filter="tags.stage = 'candidate'"))
    assert all(
        RunTag.objects.get(run=row.run, key="stage").value == "candidate" for row in tagged.context["rows"]
    )
    assert names(client.get(runs_url(experiment, filter="attributes.status = 'FAILED'"))) == [
        "logistic-regression-3"
    ]
    combined = client.get(
        runs_url(
            experiment, filter="attributes.run_name LIKE 'search%' and params.model = 'gradient_boosting'"
        )
    )
    assert names(combined) == ["search-trial-2", "search-trial-1"]


@pytest.mark.parametrize(
    "bad", ["metrics.accuracy >", "params.model == 'x'", "nonsense", "metrics.f1 > 'high'", "tags.x IN ('a')"]
)
def test_a_malformed_filter_is_explained_next_to_the_box_never_a_500(signed_in, alice, experiment, bad):
    response = signed_in(alice).get(runs_url(experiment, filter=bad))
    assert response.status_code == 200
    assert response.context["filter_error"]
    assert response.context["rows"] == []
    assert 'id="runs-filter-error"' in response.content.decode()


def test_the_csv_export_follows_the_filter(signed_in, alice, experiment):
    response = signed_in(alice).get(
        reverse("experiments:experiment_runs_export", args=[experiment.pk])
        + "?filter=params.model+%3D+%27random_forest%27"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row[1] for row in rows[1:]) == ["random-forest-1", "random-forest-4"]
    bad = signed_in(alice).get(
        reverse("experiments:experiment_runs_export", args=[experiment.pk]) + "?filter=oops"
    )
    assert bad.status_code == 302

"""Pipelines: OpenLineage jobs with their runs, errors and datasets, through `restrict`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.openlineage import selectors
from apps.catalog.openlineage.models import OpenLineageJob
from apps.catalog.tests.pipelines_data import ingest

pytestmark = pytest.mark.django_db

ERROR = 'relation "raw.cards" does not exist\nLINE 1: select * from raw.cards'


@pytest.fixture
def pipeline(alice, fraud_team):
    ingest(alice, fraud_team, job="clean_cards", runs=3, fail=ERROR)
    return OpenLineageJob.objects.get(name="clean_cards")


def test_the_list_shows_each_pipeline_with_its_latest_run(client, alice, pipeline):
    client.force_login(alice)
    page = client.get(reverse("catalog:pipeline_list")).content.decode()
    assert "clean_cards" in page and "airflow://tests" in page
    listed = selectors.pipeline_list(user=alice).get(pk=pipeline.pk)
    assert (listed.run_count, listed.last_state) == (4, "FAIL")
    assert [job.name for job in selectors.pipeline_list(user=alice, state="COMPLETE")] == []
    assert [job.name for job in selectors.pipeline_list(user=alice, text="CLEAN")] == ["clean_cards"]


def test_the_pipeline_page_shows_runs_the_error_and_the_datasets_read_and_written(client, alice, pipeline):
    client.force_login(alice)
    page = client.get(pipeline.get_absolute_url()).content.decode()
    assert page.count('class="pipeline-run-error"') == 1
    assert "relation &quot;raw.cards&quot; does not exist<br>LINE 1" in page  # escaped, lines kept
    datasets = selectors.pipeline_datasets(user=alice, job=pipeline)
    assert [d.qualified_name for d in datasets["inputs"]] == ["raw.cards"]
    assert [d.qualified_name for d in datasets["outputs"]] == ["clean.clean_cards"]
    for dataset in datasets["inputs"] + datasets["outputs"]:
        assert dataset.get_absolute_url() in page


def test_an_outsider_sees_no_private_pipeline(client, bob, pipeline):
    client.force_login(bob)
    assert client.get(pipeline.get_absolute_url()).status_code == 404
    assert "clean_cards" not in client.get(reverse("catalog:pipeline_list")).content.decode()


def test_an_internal_pipeline_shows_only_the_datasets_the_reader_may_see(client, bob, alice, pipeline):
    pipeline.visibility = "internal"
    pipeline.save()
    client.force_login(bob)
    page = client.get(pipeline.get_absolute_url())
    assert page.status_code == 200
    assert page.context["inputs"] == [] and page.context["outputs"] == []  # the datasets stay private
    assert "No input you may see." in page.content.decode()


def test_the_list_and_the_page_cost_the_same_whatever_the_number_of_pipelines_and_runs(
    client, alice, fraud_team, pipeline
):
    client.force_login(alice)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    list_before, page_before = queries(reverse("catalog:pipeline_list")), queries(pipeline.get_absolute_url())
    for name in ("load_merchants", "score_cards", "export_alerts"):
        ingest(alice, fraud_team, job=name, runs=3)
    ingest(alice, fraud_team, job="clean_cards", runs=4, outputs=("clean.clean_cards", "clean.extra"))
    assert queries(reverse("catalog:pipeline_list")) == list_before
    assert queries(pipeline.get_absolute_url()) == page_before

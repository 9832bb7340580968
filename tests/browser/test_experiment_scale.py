"""An experiment with 3,000 runs: the runs table pages, sorts, filters and scrolls sideways with the
run names kept in view, and the column choice survives a reload."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_navigation import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUNS = 3000


@pytest.fixture
def experiment(fraud_team, alice):
    from apps.experiments.pages_data import build_experiment

    return build_experiment(
        team=fraud_team, by=alice, runs=RUNS, children=0, steps=3, extra_metrics=10, artifacts=False
    )


def test_three_thousand_runs_page_sort_filter_and_scroll(page, live_server, experiment, alice, shoot):
    from apps.experiments.models import LatestMetric, Param

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{experiment.get_absolute_url()}")
    expect(page.locator("#runs-count")).to_contain_text("3,000 runs")
    expect(page.locator("#runs-table tbody tr")).to_have_count(25)
    shoot("experiments-scale-01-runs")

    # Pages: next, then 200 per page.
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#runs-pages")).to_contain_text("Showing 26–50 of 3,000")
    page.locator("[aria-label='Runs per page']").get_by_role("link", name="200").click()
    expect(page.locator("#runs-table tbody tr")).to_have_count(200)

    # Sort by a metric, best first.
    best = LatestMetric.objects.filter(run__experiment=experiment, key="accuracy").order_by("-value").first()
    page.goto(f"{live_server.url}{experiment.get_absolute_url()}?sort=-metrics.accuracy")
    expect(page.locator("#runs-table tbody tr").first).to_contain_text(best.run.name)

    # MLflow's filter grammar.
    page.fill("#runs-filter-string", "metrics.accuracy > 0.95 and params.model = 'gradient_boosting'")
    page.click("#runs-apply")
    expect(page).to_have_url(re.compile(r"filter=metrics.accuracy"))
    matching = (
        LatestMetric.objects.filter(run__experiment=experiment, key="accuracy", value__gt=0.95)
        .filter(run__in=Param.objects.filter(key="model", value="gradient_boosting").values("run"))
        .count()
    )
    assert 0 < matching < RUNS
    expect(page.locator("#runs-count")).to_contain_text(f"{matching:,} run")
    shoot("experiments-scale-02-filtered")

    # Every metric as a column: the table scrolls sideways, the run names stay put.
    page.click("#column-chooser-button")
    chooser = page.locator("#column-chooser form")
    for box in chooser.locator("input[name=metrics]").all():
        box.check()
    page.click("#columns-apply")
    expect(page.locator("#runs-table thead tr").last).to_contain_text("extra_metric_09")
    wrap = page.locator(".runs-table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    name_cell = page.locator("#runs-table tbody tr td.run-name").first
    before = name_cell.bounding_box()
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_timeout(100)
    after = name_cell.bounding_box()
    assert abs(after["x"] - before["x"]) < 1, (before, after)
    expect(name_cell).to_be_visible()
    shoot("experiments-scale-03-scrolled")
    page.reload()
    expect(page.locator("#runs-table thead tr").last).to_contain_text("extra_metric_09")

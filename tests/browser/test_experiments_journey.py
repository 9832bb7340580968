"""A data scientist opens an experiment, sorts and filters its runs, picks columns, compares runs.

The runs table works through htmx (sort, filter, page swap only the table), the column chooser
remembers the choice, the checkboxes feed the compare view, and plotly draws every chart.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_navigation import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def experiment(settings, tmp_path, fraud_team, alice):
    from apps.experiments.pages_data import build_experiment

    settings.MEDIA_ROOT = tmp_path
    return build_experiment(team=fraud_team, by=alice, runs=12, children=3, steps=30)


def drawn(page, selector: str) -> None:
    """Scroll the chart into view (they draw lazily) and wait for plotly's SVG."""
    page.locator(selector).first.scroll_into_view_if_needed()
    expect(page.locator(f"{selector} .main-svg").first).to_be_visible()


def test_sort_pick_columns_select_and_compare_runs(page, live_server, experiment, alice, shoot):
    from apps.experiments.models import LatestMetric

    best = (
        LatestMetric.objects.filter(run__experiment=experiment, key="accuracy").order_by("-value").first().run
    )

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/experiments/")
    expect(page.locator("#experiment-table")).to_contain_text("Card fraud classifier")
    shoot("experiments-01-list")
    page.get_by_role("link", name="Card fraud classifier").click()
    expect(page.locator("#runs-count")).to_contain_text("15 runs")
    shoot("experiments-02-runs")

    # Sort by accuracy: ascending, then descending; only the table is swapped, the URL follows.
    header = page.locator("#runs-table thead th", has_text="accuracy").locator("a")
    header.click()
    expect(page).to_have_url(re.compile(r"sort=metrics.accuracy"))
    header = page.locator("#runs-table thead th", has_text="accuracy").locator("a")
    header.click()
    expect(page).to_have_url(re.compile(r"sort=-metrics.accuracy"))
    expect(page.locator("#runs-count")).to_contain_text("sorted by metrics.accuracy descending")
    expect(page.locator("#runs-table tbody tr").first).to_contain_text(best.name)
    shoot("experiments-03-sorted-by-accuracy")

    # The column chooser: val_loss and the model param in, train_loss out; remembered on reload.
    page.click("#column-chooser-button")
    chooser = page.locator("#column-chooser form")
    expect(chooser).to_be_visible()
    chooser.locator("[data-column-search]").fill("loss")
    expect(chooser.locator("[data-column-key='accuracy']")).to_be_hidden()
    chooser.locator("input[name=metrics][value=val_loss]").check()
    chooser.locator("input[name=metrics][value=train_loss]").uncheck()
    chooser.locator("[data-column-search]").fill("")
    chooser.locator("input[name=params][value=model]").check()
    chooser.locator("input[name=tags][value=stage]").check()
    shoot("experiments-04-column-chooser")
    page.click("#columns-apply")
    headers = page.locator("#runs-table thead tr").last
    expect(headers).to_contain_text("val_loss")
    expect(headers).to_contain_text("model")
    expect(headers).to_contain_text("stage")
    expect(headers).not_to_contain_text("train_loss")
    page.reload()
    expect(page.locator("#runs-table thead tr").last).to_contain_text("val_loss")
    expect(page).to_have_url(re.compile(r"sort=-metrics.accuracy"))
    shoot("experiments-05-columns-chosen")

    # The MLflow filter box.
    page.fill("#runs-filter-string", "params.model = 'random_forest' and metrics.accuracy > 0.5")
    page.click("#runs-apply")
    expect(page).to_have_url(re.compile(r"filter=params.model"))
    rows = page.locator("#runs-table tbody tr")
    expect(rows.first).to_contain_text("random-forest")
    for index in range(rows.count()):
        expect(rows.nth(index)).to_contain_text("random_forest")
    page.fill("#runs-filter-string", "metrics.accuracy >")
    page.click("#runs-apply")
    expect(page.locator("#runs-filter-error")).to_be_visible()
    shoot("experiments-06-filter-error")
    page.goto(f"{live_server.url}{experiment.get_absolute_url()}?sort=-metrics.accuracy")

    # Tick three runs and compare them.
    boxes = page.locator("#runs-table tbody input[name=runs]")
    expect(page.locator("#compare-button")).to_be_disabled()
    for index in range(3):
        boxes.nth(index).check()
    expect(page.locator("#compare-count")).to_have_text("3")
    expect(page.locator("#compare-button")).to_be_enabled()
    shoot("experiments-07-selected")
    page.click("#compare-button")
    expect(page).to_have_url(re.compile(r"/experiments/compare/\?runs="))
    expect(page.get_by_role("heading", name=re.compile("Compare 3 runs"))).to_be_visible()
    drawn(page, "#compare-metric-0")
    assert page.locator("#compare-metric-0 .scatterlayer .trace").count() == 3  # one curve per run
    drawn(page, "#compare-parallel-chart")
    expect(page.locator("#compare-parallel-chart .parcoords")).to_have_count(1)
    expect(page.locator("#diff-table")).to_contain_text("max_depth")
    page.uncheck("#only-differences")
    expect(page.locator("#diff-table tr[data-differs='0']").first).to_be_visible()
    shoot("experiments-08-compare")

    # The best run's page: overview figures, metric charts, the artifact browser.
    page.goto(f"{live_server.url}{best.get_absolute_url()}")
    expect(page.locator("#run-summary")).to_contain_text("Finished")
    shoot("experiments-09-run-overview")
    page.click("text=Metrics")
    drawn(page, "#metric-figure-0")
    shoot("experiments-10-run-metrics")


def test_a_run_shows_its_logged_figures_and_artifacts(page, live_server, experiment, alice, shoot):
    from apps.experiments.models import Run

    run = Run.objects.get(experiment=experiment, name="gradient-boosting-2")
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    drawn(page, "#run-plot-0")
    expect(page.locator("#run-children")).to_contain_text("search-trial-1")
    page.click("#run-note-edit")
    page.fill("#run-note textarea", "Depth 8 beats 12: **less overfitting**.")
    page.click("#run-note-save")
    expect(page.locator("#run-note strong")).to_have_text("less overfitting")
    shoot("experiments-11-run-with-figures")
    page.get_by_role("link", name=re.compile("Artifacts")).first.click()
    page.get_by_role("link", name=re.compile("^plots")).click()
    page.get_by_role("link", name=re.compile("confusion_matrix")).click()
    drawn(page, "#artifact-figure")
    shoot("experiments-12-artifact-figure")
    page.get_by_role("link", name=re.compile("artifacts")).first.click()
    page.get_by_role("link", name=re.compile("predictions.csv")).click()
    expect(page.locator("#artifact-table")).to_contain_text("fraud")
    shoot("experiments-13-artifact-csv")


def test_a_run_and_its_experiment_have_discussion_and_follow(page, live_server, experiment, alice, shoot):
    from apps.community.services import thread_create
    from apps.experiments.models import Run

    run = Run.objects.get(experiment=experiment, name="gradient-boosting-2")
    thread_create(
        by=alice, title="Is depth 8 overfitting?", body="Look at val_loss", asset=run, rate_limited=False
    )
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    expect(page.locator("#discussion-count")).to_have_text("1")
    page.click("#discussion-tab")
    expect(page.locator(".page-title")).to_contain_text("gradient-boosting-2")
    expect(page.locator("#discussion-tab")).to_have_class(re.compile("active"))
    expect(page.locator("body")).to_contain_text("Is depth 8 overfitting?")
    shoot("experiments-14-run-discussion")
    page.goto(f"{live_server.url}{experiment.get_absolute_url()}")
    follow = page.locator(".page-header .follow-button")
    expect(follow).to_contain_text("Follow")
    follow.click()
    expect(page.locator(".page-header .follow-button")).to_contain_text("Following")
    page.click("#discussion-tab")
    expect(page.locator(".page-title")).to_contain_text("Card fraud classifier")
    expect(page.locator(".page-header .follow-button").first).to_contain_text("Following")
    shoot("experiments-15-experiment-discussion")


def test_the_compare_view_draws_every_chart_with_the_local_plotly(
    page, live_server, experiment, alice, shoot
):
    from urllib.parse import urlsplit

    sign_in(page, live_server, "alice")
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server.url}{experiment.get_absolute_url()}?sort=-metrics.accuracy")
    boxes = page.locator("#runs-table tbody input[name=runs]")
    for index in range(3):
        boxes.nth(index).check()
    page.click("#compare-button")
    expect(page.get_by_role("heading", name=re.compile("Compare 3 runs"))).to_be_visible()
    figures = page.locator(".plotly-figure")
    assert figures.count() == 6  # five metrics over steps and the parallel coordinates
    for index in range(figures.count()):
        figures.nth(index).scroll_into_view_if_needed()
        expect(figures.nth(index)).to_have_class(re.compile("js-plotly-plot"))
        expect(figures.nth(index).locator("svg.main-svg").first).to_be_visible()
    expect(page.locator("#compare-parallel-chart .parcoords")).to_have_count(1)
    # The diff: the differing rows, their values tinted; equal rows hidden while "Only differences" is on.
    differing = page.locator("#diff-table tr[data-differs='1']")
    expect(differing.first).to_be_visible()
    expect(page.locator("#compare-diff .card-title")).to_contain_text(f"{differing.count()} differ")
    expect(differing.first.locator("td.differs").first).to_be_visible()
    expect(page.locator("#diff-table tr[data-differs='0']").first).to_be_hidden()
    assert hosts == {urlsplit(live_server.url).netloc}, hosts  # plotly and everything else served locally
    page.evaluate("window.scrollTo(0, 0)")
    shoot("experiments-16-compare-three")


def test_long_tag_values_stay_inside_the_tags_card(page, live_server, experiment, alice, shoot):
    from apps.core.history import acting_user
    from apps.experiments.models import Run, RunTag

    run = Run.objects.get(experiment=experiment, name="gradient-boosting-2")
    with acting_user(alice):
        RunTag.objects.create(run=run, key="feature_store.snapshot", value="9f" * 32)
        RunTag.objects.create(run=run, key="x" * 60, value="short")
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    card = page.locator("#run-tags")
    card.scroll_into_view_if_needed()
    right = card.bounding_box()["x"] + card.bounding_box()["width"]
    badges = card.locator(".run-tag")
    assert badges.count() >= 3
    for index in range(badges.count()):
        box = badges.nth(index).bounding_box()
        assert box["x"] + box["width"] <= right, badges.nth(index).inner_text()
    hashed = card.locator(".run-tag", has_text="feature_store.snapshot")
    expect(hashed).to_have_attribute("title", f"feature_store.snapshot: {'9f' * 32}")
    shoot("experiments-17-run-long-tags")

"""Issue 3's journey in a browser: register a file and a database, sync, profile, search, get access, lineage.

Test connection, Sync and Profile now run as jobs on a REAL Celery worker (tests/worker.py)
against the live server's test database; the worker gets the same media folder and allowed
folder roots as the live server through its environment.
"""

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.test_navigation import sign_in
from tests.worker import celery_worker  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_WAIT = 120_000  # ms: a hang guard for jobs on the worker, not a speed assertion

CSV = "merchant_id,merchant,country,risk_score\n" + "".join(
    f"{i},Merchant {i},{['FR', 'DE', 'NL'][i % 3]},{(i * 7) % 100 / 10}\n" for i in range(1, 41)
)


@pytest.fixture
def places(tmp_path, settings):
    """A media folder and an allowed folder root holding a small SQLite shop, shared with the worker."""
    media, root = tmp_path / "media", tmp_path / "data"
    media.mkdir()
    root.mkdir()
    settings.MEDIA_ROOT = media
    settings.CATALOG_FOLDER_ROOTS = [str(root)]
    database = root / "shop.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, segment TEXT)")
        connection.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(i, f"Customer {i}", ["retail", "business"][i % 2]) for i in range(1, 31)],
        )
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)")
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)", [(i, i % 30 + 1, i * 3.5) for i in range(1, 61)]
        )
    csv = tmp_path / "merchants.csv"
    csv.write_text(CSV)
    return {"media": media, "root": root, "database": database, "csv": csv}


def test_a_new_user_registers_syncs_profiles_searches_gets_access_and_follows_lineage(
    browser,
    page,
    live_server,
    celery_worker,  # noqa: F811 - the fixture imported above
    places,
    alice,
    bob,
    olivia,
    shoot,
    screenshot_dir,
):
    celery_worker.start(
        env={
            "MEDIA_ROOT": str(places["media"]),
            "CATALOG_FOLDER_ROOTS": str(places["root"]),
            "JOB_HEARTBEAT_SECONDS": "1",
        }
    )

    # alice uploads a CSV file: a new dataset, shown on its Schema tab.
    sign_in(page, live_server, "alice")
    shoot("journey-01-alice-home")
    page.goto(f"{live_server.url}/catalog/sources/")
    shoot("journey-02-sources")
    page.goto(f"{live_server.url}/catalog/sources/upload/")
    page.set_input_files("input[name=file]", str(places["csv"]))
    page.fill("input[name=name]", "Merchants")
    shoot("journey-03-upload-form")
    page.get_by_role("button", name=re.compile("Upload")).click()
    expect(page).to_have_url(re.compile(r"/catalog/datasets/\d+/schema/"))
    expect(page.locator("body")).to_contain_text("risk_score")
    merchants_url = page.url.removesuffix("schema/")
    shoot("journey-04-merchants-schema")
    page.goto(merchants_url)
    expect(page.get_by_role("heading", name="Merchants")).to_be_visible()
    shoot("journey-05-merchants-overview")

    # alice registers the SQLite shop, tests the connection and syncs it.
    page.goto(f"{live_server.url}/catalog/sources/new/sql/")
    page.fill("input[name=name]", "Shop")
    page.fill("input[name=url]", f"sqlite:///{places['database']}")
    shoot("journey-06-sql-form")
    page.get_by_role("button", name="Register source").click()
    expect(page).to_have_url(re.compile(r"/catalog/sources/\d+/$"))
    shoot("journey-07-source-registered")
    page.click("#test-connection")
    # When the job finishes the page reloads on ?job=<id>, showing its result.
    expect(page).to_have_url(re.compile(r"\?job=\d+$"), timeout=JOB_WAIT)
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#job-result")).to_contain_text("2 tables visible")
    test_url = page.url
    shoot("journey-08-connection-tested")
    page.click("#sync-source")
    expect(page.locator("#job-progress")).to_contain_text("Sync")
    expect(page).not_to_have_url(test_url, timeout=JOB_WAIT)
    expect(page).to_have_url(re.compile(r"\?job=\d+$"))
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#sync-summary")).to_contain_text("2 new")
    expect(page.locator("#source-datasets")).to_contain_text("customers")
    expect(page.locator("#source-datasets")).to_contain_text("orders")
    shoot("journey-10-source-tables")

    # alice profiles the customers table and sees its charts.
    page.locator("#source-datasets").get_by_role("link", name=re.compile("customers")).click()
    expect(page).to_have_url(re.compile(r"/catalog/datasets/\d+/$"))
    page.get_by_role("link", name="Profile").click()
    shoot("journey-11-profile-empty")
    page.click("#profile-now")
    expect(page.locator("#profile-rows")).to_have_text("30", timeout=JOB_WAIT)  # HX-Refresh reloads the page
    expect(page.locator(".profile-chart .main-svg").first).to_be_attached()  # plotly drew the charts
    expect(page.get_by_text("No column has missing values in this version.")).to_be_visible()
    expect(page.locator("#profile-columns")).to_contain_text("segment")
    shoot("journey-12-profile-charts")

    # alice finds the uploaded dataset from the top-bar search.
    page.fill("#global-search", "Merchants")
    page.keyboard.press("Enter")
    expect(page.locator("#search-hits")).to_contain_text("Merchants")
    shoot("journey-13-search")
    page.locator("#search-hits").get_by_role("link", name=re.compile("Merchants")).first.click()
    expect(page).to_have_url(merchants_url)

    # alice draws lineage: the Merchants file feeds the customers table.
    page.get_by_role("link", name="Lineage").click()
    shoot("journey-14-lineage-empty")
    page.select_option("select[name=direction]", "downstream")
    customers = page.locator("select[name=other] option", has_text="customers").get_attribute("value")
    page.select_option("select[name=other]", customers)
    page.fill("input[name=transformation]", "enrich_customers")
    page.get_by_role("button", name="Draw edge").click()
    expect(page.locator("#lineage-graph canvas").first).to_be_attached()
    expect(page.locator("body")).to_contain_text("enrich_customers")
    shoot("journey-15-lineage-drawn")

    # bob, in another team, cannot see the private dataset and asks for access by reference.
    bob_context = browser.new_context(viewport={"width": 1280, "height": 720})
    bob_page = bob_context.new_page()
    sign_in(bob_page, live_server, "bob")
    response = bob_page.goto(merchants_url)
    assert response.status == 404
    shoot_page(bob_page, screenshot_dir, "journey-16-bob-404")
    expect(bob_page.locator("#not-found")).to_contain_text("not shared it with you")
    bob_page.click("#ask-for-access")
    expect(bob_page.locator("input[name=dataset]")).to_have_value(merchants_url.removeprefix(live_server.url))
    bob_page.fill("textarea[name=purpose]", "Join merchant risk scores to platform payment events.")
    shoot_page(bob_page, screenshot_dir, "journey-17-bob-request-form")
    bob_page.get_by_role("button", name="Send request").click()
    expect(bob_page).to_have_url(re.compile(r"/catalog/access-requests/\?scope=mine$"))
    expect(bob_page.locator(".toast")).to_contain_text("You will be notified when they decide")
    shoot_page(bob_page, screenshot_dir, "journey-18-bob-request-sent")

    # olivia, the data officer, approves it from her queue.
    olivia_context = browser.new_context(viewport={"width": 1280, "height": 720})
    olivia_page = olivia_context.new_page()
    sign_in(olivia_page, live_server, "olivia")
    olivia_page.goto(f"{live_server.url}/catalog/access-requests/")
    expect(olivia_page.locator("#access-queue")).to_contain_text("bob")
    shoot_page(olivia_page, screenshot_dir, "journey-19-olivia-queue")
    olivia_page.locator("#access-queue").get_by_role("link", name="Decide").click()
    expect(olivia_page).to_have_url(re.compile(r"/catalog/access-requests/\d+/$"))
    olivia_page.click("#approve")
    expect(olivia_page.locator("body")).to_contain_text("Access is granted until")
    shoot_page(olivia_page, screenshot_dir, "journey-20-olivia-approved")
    olivia_context.close()

    # bob now opens the dataset and follows its lineage.
    bob_page.reload()
    # The bell is swapped in by htmx right after load: a click on the link it replaces is lost.
    bob_page.wait_for_load_state("networkidle")
    bob_page.get_by_role("link", name="Notifications").click()
    expect(bob_page).to_have_url(re.compile(r"/notifications/"))
    shoot_page(bob_page, screenshot_dir, "journey-21-bob-notifications")
    bob_page.locator("[id^=notification-] a", has_text="Merchants").first.click()
    expect(bob_page).to_have_url(re.compile(r"/catalog/access-requests/\d+/$"))
    expect(bob_page.locator("body")).to_contain_text("Approved")
    shoot_page(bob_page, screenshot_dir, "journey-22-bob-request-approved")
    bob_page.get_by_role("link", name="Merchants", exact=True).click()
    expect(bob_page).to_have_url(merchants_url)
    expect(bob_page.get_by_role("heading", name="Merchants", exact=True)).to_be_visible()
    shoot_page(bob_page, screenshot_dir, "journey-23-bob-dataset")
    bob_page.get_by_role("link", name="Lineage").click()
    shoot_page(bob_page, screenshot_dir, "journey-24-bob-lineage")
    expect(bob_page.locator("#lineage-graph canvas").first).to_be_attached()
    # customers stays private to Fraud Analytics: bob sees a hidden node, never its name.
    expect(bob_page.locator("body")).to_contain_text("Some downstream assets are not visible to you")
    expect(bob_page.locator("body")).not_to_contain_text("enrich_customers")
    bob_context.close()


def shoot_page(other_page, folder, name):
    """Like the `shoot` helper, for a page in another browser context (bob's, olivia's)."""
    viewport = other_page.viewport_size
    height = other_page.evaluate("document.documentElement.scrollHeight")
    other_page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    other_page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    other_page.set_viewport_size(viewport)

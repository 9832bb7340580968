"""A person signs in, looks around every area, opens a team and a dataset with its history, signs out."""

import re

import pytest
from playwright.sync_api import expect

PASSWORD = "correct-horse-battery-staple"  # the shared cast's password (root conftest.py)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation(olivia, alice, ann, bob, private_dataset, internal_dataset):
    """The shared cast plus a running job and a described, edited dataset."""
    from apps.catalog.services import dataset_update
    from apps.jobs.models import Job

    dataset_update(
        dataset=private_dataset,
        by=olivia,
        description="Card transactions, **one row per payment**.\n\n- amount\n- merchant",
        domain="payments",
    )
    Job.objects.create(
        kind="profile_dataset",
        status="running",
        progress=40,
        progress_message="Scanning columns",
        requester=alice,
        team=private_dataset.team,
    )
    return {"dataset": private_dataset, "team": private_dataset.team}


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_a_data_officer_signs_in_navigates_and_signs_out(page, live_server, organisation, shoot):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to your account")).to_be_visible()
    shoot("01-login")

    sign_in(page, live_server, "olivia")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.locator("#home-jobs")).to_contain_text("Profile dataset")
    expect(page.locator("#home-jobs .progress-bar")).to_have_attribute("style", re.compile("40%"))
    expect(page.get_by_text("Fraud Analytics").first).to_be_visible()
    shoot("02-home")

    nav = page.locator("aside")
    areas = ["Catalog", "Quality", "Community", "Experiments", "Models"]
    areas += ["SLAs", "Dashboards", "Search", "Jobs", "Teams"]
    for label in areas:
        nav.get_by_role("link", name=re.compile(rf"^{label}")).click()
        expect(page.locator("aside .nav-item.active")).to_contain_text(label)
        assert page.locator("body").inner_text().strip(), label
        shoot(f"03-nav-{label.lower()}")

    page.get_by_role("link", name=re.compile("Roles and permissions")).click()
    expect(page.locator("#permission-table")).to_contain_text("Analyst (read-only)")
    shoot("03-roles")
    page.goto(f"{live_server.url}/teams/")
    page.get_by_role("link", name="Fraud Analytics").click()
    expect(page.locator("#member-table")).to_contain_text("olivia")
    shoot("04-team-members")
    page.click("#tab-assets-link")
    expect(page.locator("#tab-assets")).to_contain_text("Card transactions")
    shoot("05-team-assets")
    page.click("#tab-activity-link")
    expect(page.locator("#tab-activity")).to_contain_text("Card transactions")
    shoot("06-team-activity")

    page.click("#tab-members-link")
    page.fill("#member-add-form input[name=username]", "nobody-here")
    page.click("#member-add-form button[type=submit]")
    expect(page.locator("#member-add-form .invalid-feedback")).to_contain_text("Nobody is called")
    shoot("07-team-add-member-error")

    page.goto(f"{live_server.url}/catalog/datasets/")
    expect(page.locator("#dataset-table")).to_contain_text("Card transactions")
    shoot("08-dataset-list")
    page.get_by_role("link", name="Card transactions").click()
    expect(page.locator(".markdown-body strong")).to_have_text("one row per payment")
    shoot("09-dataset-detail")
    page.get_by_role("link", name="History").click()
    expect(page.locator("#history-table")).to_contain_text("payments")
    shoot("10-dataset-history")

    page.goto(f"{live_server.url}/catalog/datasets/new/")
    page.fill("input[name=name]", "Card transactions")
    page.get_by_role("button", name="Register dataset").click()
    expect(page.locator("#id_name_errors")).to_contain_text("already has a dataset named")
    shoot("11-dataset-create-duplicate")
    page.fill("input[name=name]", "Chargebacks")
    page.get_by_role("button", name="Register dataset").click()
    expect(page.locator(".toast")).to_contain_text("Chargebacks")
    shoot("11-dataset-created-toast")

    page.goto(f"{live_server.url}/catalog/datasets/{organisation['dataset'].pk}/edit/")
    page.fill("input[name=name]", "")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()
    shoot("11-dataset-edit-error")

    page.click("#user-menu")
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_slash_focuses_the_search_box(page, live_server, organisation):
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    page.keyboard.press("/")
    expect(page.locator("#global-search")).to_be_focused()


def test_dark_mode_is_remembered(page, live_server, organisation, shoot):
    sign_in(page, live_server, "alice")
    page.click("[data-atrium-theme=dark]")
    page.goto(f"{live_server.url}/catalog/datasets/")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    shoot("12-dark-mode")


def test_an_outsider_finds_no_trace_of_a_private_dataset(page, live_server, organisation):
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/catalog/datasets/")
    expect(page.locator("body")).not_to_contain_text("Card transactions")
    response = page.goto(f"{live_server.url}/catalog/datasets/{organisation['dataset'].pk}/")
    assert response.status == 404

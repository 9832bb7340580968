"""Issue 5's journey in a browser: two people of different teams discuss a dataset one team shares with
the other by grant, mention each other, react, accept an answer and hear of it all in their inboxes;
a third person, whose team may not see the dataset, sees none of it — not in the forum, not in
search, not by URL, not in their inbox.
"""

import re

import pytest
from guardian.shortcuts import assign_perm
from playwright.sync_api import expect

from tests.browser.test_navigation import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Are card tokens stable across reissues?"
SAVE_WAIT = 30_000  # ms: a hang guard for a save on a busy machine, not a speed assertion


@pytest.fixture
def shared(private_dataset, platform_team, olivia, make_user, root):
    """Fraud shares its private Card transactions with Data Platform; Risk & Finance's rita may not see it."""
    from apps.teams.services import membership_set, team_create

    assign_perm("catalog.view_dataset", platform_team.group, private_dataset)
    risk = team_create(name="Risk & Finance", kind="business", by=root)
    rita = make_user("rita")
    membership_set(team=risk, user=rita, role="analyst", by=root)
    return private_dataset


def sign_out(page):
    page.click("#user-menu")
    page.click("#sign-out")


def test_two_teams_discuss_a_shared_dataset_and_an_outsider_sees_nothing(
    page, browser, live_server, alice, bob, shared, screenshot_dir
):
    dataset = shared
    alice_page = page
    bob_page = browser.new_page(viewport={"width": 1280, "height": 720})
    rita_page = browser.new_page(viewport={"width": 1280, "height": 720})

    def shoot(name):
        """A full-page screenshot of whichever person's page is current (grown first, so the fixed
        sidebar spans the picture)."""
        viewport = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)
        page.set_viewport_size(viewport)

    # alice (Fraud Analytics) opens the dataset's Discussion tab and asks bob (Data Platform).
    page = alice_page
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/catalog/datasets/{dataset.pk}/")
    page.click("#discussion-tab")
    expect(page.locator("#thread-list")).to_contain_text("No discussion here yet")
    shoot("community-01-empty-discussion-tab")
    page.click("#new-discussion")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=kind]", "question")
    body = page.locator("textarea[name=body]")
    body.fill("When a card is reissued, does #card-transactions keep the token? Asking ")
    body.press("End")
    body.type("@bo")  # the autocomplete offers bob
    expect(page.locator(".mention-suggestions [data-insert='@bob']")).to_be_visible()
    shoot("community-02-mention-autocomplete")
    body.press("Enter")
    expect(body).to_have_value(re.compile(r"Asking @bob $"))
    body.type("since Data Platform runs the tokeniser.")
    page.click("[data-editor-tab=preview]")
    expect(page.locator(".markdown-preview a.mention")).to_have_text("@bob")
    expect(page.locator(".markdown-preview a.asset-ref")).to_have_text("#card-transactions")
    shoot("community-03-preview")
    page.click("#start-discussion")
    expect(page).to_have_url(re.compile(r"/community/t/\d+/$"), timeout=SAVE_WAIT)
    thread_url = page.url
    expect(page.locator("#thread-title")).to_have_text(TITLE)
    expect(page.locator(".follow-button")).to_contain_text("Following")  # the author follows it
    shoot("community-04-question-posted")

    # bob hears of it: the bell, then the inbox, then the thread.
    page = bob_page
    sign_in(page, live_server, "bob")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.goto(f"{live_server.url}/community/notifications/")
    expect(page.locator("#notification-list")).to_contain_text(f"mentioned you in “{TITLE}”")
    shoot("community-05-bob-inbox")
    page.locator("#notification-list a").filter(has_text=TITLE).first.click()
    expect(page).to_have_url(re.compile(r"/community/t/\d+/#post-\d+$"))
    # bob reacts and answers, mentioning alice back.
    opening = page.locator("article.post").first
    opening.get_by_role("button", name="Add a reaction").click()
    opening.locator("[data-emoji-pick='+1']").click()
    expect(opening.locator(".reaction-mine")).to_contain_text("1")
    page.fill(
        "#reply-form textarea[name=body]",
        "Yes: the token follows the account, not the plastic. @alice see the `token_version` column.",
    )
    page.click("#post-reply")
    expect(page.locator("article.post")).to_have_count(2, timeout=SAVE_WAIT)
    shoot("community-06-bob-answered")

    # alice hears of the answer and accepts it.
    page = alice_page
    page.goto(f"{live_server.url}/community/notifications/")
    expect(page.locator("#notification-list")).to_contain_text(f"bob mentioned you in “{TITLE}”")
    page.goto(thread_url)
    page.locator("article.post").nth(1).locator(".accept-answer").click()
    expect(page.locator(".post-accepted")).to_contain_text("the token follows the account", timeout=SAVE_WAIT)
    expect(page.locator(".page-header")).to_contain_text("Answered")
    shoot("community-07-answer-accepted")

    page = bob_page
    page.goto(f"{live_server.url}/community/notifications/")
    expect(page.locator("#notification-list")).to_contain_text("accepted your answer")
    page.goto(f"{live_server.url}/catalog/datasets/{dataset.pk}/")
    expect(page.locator("#discussion-count")).to_have_text("1")

    # rita (Risk & Finance) sees none of it.
    page = rita_page
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/community/")
    expect(page.locator("#thread-list")).not_to_contain_text(TITLE)
    expect(page.locator("body")).not_to_contain_text("Card transactions")
    page.goto(f"{live_server.url}/search/?q=tokens+reissues")
    expect(page.locator("body")).not_to_contain_text(TITLE)
    page.goto(f"{live_server.url}/community/notifications/")
    expect(page.locator("body")).not_to_contain_text(TITLE)
    for url in (thread_url, f"{live_server.url}/catalog/datasets/{dataset.pk}/"):
        response = page.goto(url)
        assert response.status == 404, url
    shoot("community-08-outsider-404")
    for other in (bob_page, rita_page):
        other.close()

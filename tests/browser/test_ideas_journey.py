"""Issue 5's idea board in a browser: two people of different teams vote and the ranking changes, a data
officer moves the idea through its workflow and the author is notified, an outsider sees nothing of a
private idea; announcements on the home page are dismissed.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_navigation import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRIVATE_TITLE = "Score mule rings with graph features"


@pytest.fixture
def rita(make_user, root):
    """Risk & Finance's analyst: outside Fraud Analytics."""
    from apps.teams.services import membership_set, team_create

    risk = team_create(name="Risk & Finance", kind="business", by=root)
    user = make_user("rita", first_name="Rita", last_name="Okafor")
    membership_set(team=risk, user=user, role="analyst", by=root)
    return user


@pytest.fixture
def board(fraud_team, olivia, alice, ann, bob, rita):
    """An older idea with two votes, so a new one has to climb past it."""
    from apps.community.services.ideas import idea_create, idea_vote

    older = idea_create(team=fraud_team, by=olivia, title="Nightly snapshot of the merchant list")
    idea_vote(idea=older, by=alice)
    return older


@pytest.fixture
def person(browser, browser_context_args, live_server):
    """A signed-in page per username, each in its own browser context (own cookies)."""
    pages = {}

    def open_as(username):
        if username not in pages:
            context = browser.new_context(**browser_context_args)
            page = context.new_page()
            sign_in(page, live_server, username)
            pages[username] = page
        return pages[username]

    yield open_as
    for page in pages.values():
        page.context.close()


def take(page, folder, name: str) -> None:
    """A full-page screenshot of one person's page, in the shared screenshot folder."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": max(720, height)})
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})


def board_titles(page) -> list[str]:
    return [title.strip() for title in page.locator("#idea-list .idea-title").all_inner_texts()]


def test_two_teams_vote_an_officer_moves_the_idea_and_an_outsider_sees_nothing_private(
    live_server, board, person, screenshot_dir
):
    url = live_server.url

    def snap(page, name):
        take(page, screenshot_dir, name)

    # alice (Fraud Analytics) proposes an internal idea from the board.
    alice = person("alice")
    alice.goto(f"{url}/community/ideas/")
    alice.click("#propose-idea")
    alice.select_option("select[name=team]", label="Fraud Analytics")
    alice.fill("input[name=title]", "Add merchant category codes to card data")
    alice.fill("textarea[name=description]", "Gambling and crypto merchants carry **most** of the losses.")
    snap(alice, "ideas-01-propose")
    alice.get_by_role("button", name="Propose the idea").click()
    expect(alice.locator("#idea-title")).to_have_text("Add merchant category codes to card data")
    expect(alice.locator("#idea-description strong")).to_have_text("most")
    idea_url = alice.url
    # ... and a private one, for her team only.
    alice.goto(f"{url}/community/ideas/new/")
    alice.select_option("select[name=team]", label="Fraud Analytics")
    alice.fill("input[name=title]", PRIVATE_TITLE)
    alice.select_option("select[name=visibility]", "private")
    alice.get_by_role("button", name="Propose the idea").click()
    expect(alice.locator(".page-header .badge", has_text="Private")).to_be_visible()
    private_url = alice.url

    # bob (Data Platform) sees the older idea on top, votes for the new one: it climbs.
    bob = person("bob")
    bob.goto(f"{url}/community/ideas/?sort=top")
    assert board_titles(bob)[0] == "Nightly snapshot of the merchant list"
    assert PRIVATE_TITLE not in board_titles(bob)
    snap(bob, "ideas-02-board-before")
    new_row = bob.locator(".idea-row", has_text="Add merchant category codes")
    new_row.locator("button[aria-pressed=false]").click()
    expect(new_row.locator(".vote-count")).to_have_text("2")  # swapped in place by htmx
    expect(new_row.locator("button")).to_have_attribute("aria-pressed", "true")

    # ann (analyst, Fraud Analytics) votes too, from the idea page.
    ann = person("ann")
    ann.goto(idea_url)
    ann.locator(".idea-vote button").click()
    expect(ann.locator(".idea-vote .vote-count")).to_have_text("3")

    bob.reload()
    assert board_titles(bob)[:2] == [
        "Add merchant category codes to card data",
        "Nightly snapshot of the merchant list",
    ]
    snap(bob, "ideas-03-board-after-votes")

    # olivia, Fraud's data officer, moves it: declining without a reason is refused on the field.
    olivia = person("olivia")
    olivia.goto(idea_url)
    form = olivia.locator("#idea-transition-form")
    form.locator("select[name=status]").select_option("declined")
    form.get_by_role("button", name="Change status").click()
    expect(olivia.locator("#id_reason_errors")).to_contain_text("Say why the idea is declined")
    for status, reason in [
        ("under_review", ""),
        ("accepted", "Agreed with Data Platform: they expose MCC in the acquirer feed."),
        ("in_progress", ""),
    ]:
        form = olivia.locator("#idea-transition-form")
        form.locator("select[name=status]").select_option(status)
        form.locator("textarea[name=reason]").fill(reason)
        form.get_by_role("button", name="Change status").click()
        expect(olivia.locator(".idea-step").last).to_contain_text("moved it from")
    expect(olivia.locator(".page-header .idea-status")).to_have_text(re.compile("In progress"))
    expect(olivia.locator("#idea-workflow")).to_contain_text("they expose MCC")
    snap(olivia, "ideas-04-workflow")

    # alice, the author, has been told: the bell counts it and the inbox says what happened.
    alice.goto(f"{url}/")
    expect(alice.locator("#unread-count")).to_be_visible()
    alice.goto(f"{url}/community/notifications/")
    expect(alice.locator("#notification-list")).to_contain_text("to accepted: Agreed with Data Platform")
    expect(alice.locator("#notification-list")).to_contain_text("to in progress")
    snap(alice, "ideas-05-author-notified")
    # bob voted, so he hears of it too; the idea's Activity tab tells the whole story.
    bob.goto(f"{url}/community/notifications/")
    expect(bob.locator("#notification-list")).to_contain_text("to in progress")
    bob.goto(idea_url)
    bob.click("#tab-activity-link")
    expect(bob.locator("#activity-feed")).to_contain_text("voted for")
    expect(bob.locator("#activity-feed")).to_contain_text("Accepted → In progress")
    snap(bob, "ideas-06-idea-activity")

    # rita, outside Fraud Analytics, sees the internal idea but nothing of the private one.
    rita = person("rita")
    rita.goto(f"{url}/community/ideas/")
    assert "Add merchant category codes to card data" in board_titles(rita)
    expect(rita.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    response = rita.goto(private_url)
    assert response.status == 404
    expect(rita.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    rita.goto(f"{url}/community/activity/")
    expect(rita.locator("#activity-feed")).to_contain_text("Add merchant category codes")
    expect(rita.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    rita.goto(f"{url}/search/?q=mule")
    expect(rita.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    snap(rita, "ideas-07-outsider-search")
    alice.goto(f"{url}/search/?q=mule")
    expect(alice.locator("body")).to_contain_text(PRIVATE_TITLE)


def test_an_announcement_shows_on_the_home_page_until_dismissed(
    live_server, person, fraud_team, olivia, alice, bob, screenshot_dir
):
    url = live_server.url
    officer = person("olivia")
    officer.goto(f"{url}/community/announcements/")
    officer.click("#post-announcement")
    officer.select_option("select[name=audience]", fraud_team.slug)
    officer.fill("input[name=title]", "Card transactions: the last nightly load is incomplete")
    officer.select_option("select[name=severity]", "critical")
    officer.fill("textarea[name=body]", "Do **not** retrain until the backfill finishes.")
    officer.get_by_role("button", name="Post").click()
    expect(officer.locator(".announcement-title")).to_have_text(
        "Card transactions: the last nightly load is incomplete"
    )

    member = person("alice")
    member.goto(f"{url}/")
    card = member.locator("#home-announcements .announcement-card")
    expect(card).to_contain_text("Do not retrain")
    take(member, screenshot_dir, "ideas-08-home-announcement")
    card.locator(".announcement-dismiss").click()
    expect(member.locator("#home-announcements .announcement-card")).to_have_count(0)
    member.reload()
    expect(member.locator("body")).not_to_contain_text("the last nightly load is incomplete")

    outsider = person("bob")
    outsider.goto(f"{url}/")
    expect(outsider.locator("body")).not_to_contain_text("the last nightly load is incomplete")

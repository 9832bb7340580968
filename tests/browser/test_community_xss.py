"""XSS payloads posted through the discussion pages in Chromium: nothing runs, nothing is injected.

Every payload calls `window.__xss()` (a trap installed before any page script) and/or `alert`;
the test records dialogs, checks the trap never fired, and looks for the elements payloads try
to plant. Payloads travel through the real forms: the new-discussion form (title and body), the
reply form, the htmx Preview tab and the htmx inline edit.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.community.tests.xss_payloads import XSS_PAYLOADS
from tests.browser.test_navigation import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRAP = "window.__xss_ran = []; window.__xss = function (x) { window.__xss_ran.push(String(x)); };"
INJECTED = (
    "[id^=xss], .xss, .post-body script, .post-body iframe, .post-body object, .post-body embed, "
    ".post-body svg, .post-body math, .post-body style, .post-body form, .post-body input, "
    ".post-body [onerror], .post-body [onload], .post-body [onclick], .post-body [onmouseover], "
    ".post-body [style]:not(td):not(th), .post-body a[href^='javascript' i], .post-body a[href^='data' i], "
    ".post-body img[src^='javascript' i], .post-body img[src^='data' i], "
    ".markdown-preview script, .markdown-preview img[onerror], .markdown-preview svg"
)
BATCH = 20  # payloads per post: a handful of posts carry all of them
SAVE_WAIT = 30_000  # ms: a hang guard for a save on a busy machine, not a speed assertion


def chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def assert_nothing_ran(page, dialogs):
    assert dialogs == [], f"dialogs opened: {dialogs}"
    assert page.evaluate("window.__xss_ran") == []
    assert page.locator(INJECTED).count() == 0


def test_payloads_posted_through_the_ui_stay_inert(
    page, live_server, alice, internal_dataset, settings, shoot
):
    settings.COMMUNITY_POST_RATE_LIMITS = ""  # the test posts faster than a person would
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(TRAP)
    sign_in(page, live_server, "alice")

    # A new discussion whose title and body are payloads.
    page.goto(f"{live_server.url}/community/new/?asset=catalog.dataset:{internal_dataset.pk}")
    page.fill("input[name=title]", "<img id=xss-title src=x onerror=__xss('title')>")
    page.fill("textarea[name=body]", "\n\n".join(XSS_PAYLOADS[:BATCH]))
    page.click("[data-editor-tab=preview]")  # htmx swaps the rendered preview into the page
    expect(page.locator(".markdown-preview .post-body")).to_be_visible(timeout=SAVE_WAIT)
    assert_nothing_ran(page, dialogs)
    shoot("community-xss-01-preview")
    page.click("#start-discussion")
    expect(page).to_have_url(re.compile(r"/community/t/\d+/$"), timeout=SAVE_WAIT)
    expect(page.locator("#thread-title")).to_contain_text("<img id=xss-title")  # shown as text
    assert_nothing_ran(page, dialogs)

    # The rest as replies through the reply form.
    for batch in chunks(XSS_PAYLOADS[BATCH:], BATCH):
        page.fill("#reply-form textarea[name=body]", "\n\n".join(batch))
        page.click("#post-reply")
        expect(page).to_have_url(re.compile(r"#post-\d+$"), timeout=SAVE_WAIT)
        assert_nothing_ran(page, dialogs)

    posts = page.locator("article.post")
    expect(posts).to_have_count(1 + len(chunks(XSS_PAYLOADS[BATCH:], BATCH)))
    # Move over and around every link and image a payload may have left, as a reader would.
    for element in page.locator(".post-body a, .post-body img").all()[:60]:
        element.hover(timeout=2000, force=True)
    page.wait_for_timeout(300)  # let any error/load handler (there must be none) fire
    assert_nothing_ran(page, dialogs)
    shoot("community-xss-02-thread")

    # An inline edit (htmx) puts payloads into the page again.
    posts.first.get_by_role("link", name="Edit").click()
    editor = page.locator(".post-edit-form textarea")
    expect(editor).to_be_visible()
    editor.fill("\n\n".join(XSS_PAYLOADS[-BATCH:]))
    page.locator(".post-edit-form button[type=submit]").click()
    expect(page.locator(".post-edit-form")).to_have_count(0, timeout=SAVE_WAIT)
    expect(posts.first.locator(".post-body")).to_contain_text("alert(1)")  # the text, escaped
    page.wait_for_timeout(300)
    assert_nothing_ran(page, dialogs)

    # The lists show titles too.
    for path in ("/community/", f"/community/discussions/on/catalog.dataset/{internal_dataset.pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_timeout(200)
        assert_nothing_ran(page, dialogs)

"""Posts are inert whatever they contain: at least 50 standard XSS payloads, through the renderer
(with mentions and references resolved into links), the pages and the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.community import markup, selectors, services
from apps.community.models import Post
from apps.community.tests.xss_payloads import XSS_PAYLOADS, unsafe_markup, unsafe_page
from apps.core.markdown import sanitize_html

LINKS = markup.Links(
    people={"alice": markup.Link("/community/?author=alice", 'Alice "><script>')},
    assets={markup.Reference("card-transactions"): markup.Link("/catalog/datasets/1/", "Dataset · <b>x</b>")},
)


def test_the_list_is_a_standard_one_of_at_least_50():
    assert len(XSS_PAYLOADS) >= 50
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_each_payload_renders_inert(payload):
    html = markup.render(payload, LINKS)
    assert unsafe_markup(html) == [], html
    # No mutation on a second pass through the sanitizer: what the browser re-parses is what we checked.
    assert sanitize_html(html, allowed_classes=markup.ALLOWED_CLASSES) == html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_each_payload_is_inert_inside_ordinary_markdown(payload):
    html = markup.render(
        f"**Intro** @alice #card-transactions\n\n{payload}\n\n| a |\n|---|\n| {payload[:40]} |", LINKS
    )
    assert unsafe_markup(html) == [], html


def test_the_checkers_catch_live_markup():
    # Guards the guard: unsanitized payloads must be flagged, or the tests above prove nothing.
    assert unsafe_markup('<script>x</script><a href="java\tscript:x" onclick="y" class="btn">z</a>') == [
        "<script>",
        "a[href=java\tscript:x]",
        "a[onclick]",
        "a[class=btn]",
    ]
    assert unsafe_page(
        '<script src="/static/a.js"></script><script>x</script><img id="xss-2" onerror=1>'
    ) == [
        "<script {}>",
        "img[id=xss-2]",
        "img[onerror]",
    ]


@pytest.mark.django_db
def test_payloads_posted_through_the_pages_come_out_inert(client, alice, internal_dataset, settings):
    settings.COMMUNITY_POST_RATE_LIMITS = ""  # this test posts every payload in one go
    client.force_login(alice)
    created = client.post(
        f"{reverse('community:thread_create')}?asset=catalog.dataset:{internal_dataset.pk}",
        {
            "title": "<script>alert(1)</script><img src=x onerror=alert(1)>",
            "kind": "general",
            "body": XSS_PAYLOADS[0],
        },
    )
    assert created.status_code == 302
    thread_url = created["Location"]
    reply_url = thread_url.rstrip("/") + "/reply/"
    for payload in XSS_PAYLOADS[1:]:
        response = client.post(reply_url, {"body": payload})
        assert response.status_code == 302, (payload, response.status_code)
    page = client.get(thread_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert unsafe_page(html) == []
    assert html.count('class="card mb-3 post') == len(XSS_PAYLOADS)
    for view in ("community:home", "community:follow_list"):
        assert unsafe_page(client.get(reverse(view)).content.decode()) == []
    first_reply = Post.objects.filter(is_opening=False).order_by("pk").first()
    for url in (
        reverse("community:post_revisions", args=[first_reply.pk]),
        reverse("community:post_edit", args=[first_reply.pk]),
    ):
        assert unsafe_page(client.get(url).content.decode()) == [], url
    preview = client.post(reverse("community:preview"), {"body": "\n\n".join(XSS_PAYLOADS)})
    assert (
        unsafe_markup(
            preview.content.decode()
            .replace('<div class="markdown-body post-body">', "")
            .replace("</div>", "")
        )
        == []
    )


@pytest.mark.django_db
def test_payloads_posted_through_the_api_come_out_inert(alice, internal_dataset, settings):
    settings.COMMUNITY_POST_RATE_LIMITS = ""
    api = APIClient()
    api.force_authenticate(alice)
    thread = api.post(
        "/api/v1/threads/",
        {
            "title": "<svg onload=alert(1)>",
            "body": XSS_PAYLOADS[0],
            "asset": f"catalog.dataset:{internal_dataset.pk}",
        },
    ).json()
    for payload in XSS_PAYLOADS[1:]:
        response = api.post("/api/v1/posts/", {"thread": thread["id"], "body": payload})
        assert response.status_code == 201, (payload, response.json())
        assert unsafe_markup(response.json()["body_html"]) == [], payload
    rows = api.get("/api/v1/posts/", {"thread": thread["id"], "page_size": 500}).json()["results"]
    assert len(rows) == len(XSS_PAYLOADS)
    for row in rows:
        assert unsafe_markup(row["body_html"]) == [], row["body"]
        assert row["body"] in XSS_PAYLOADS  # the text itself is kept as written, for editing


@pytest.mark.django_db
def test_rendering_for_a_reader_resolves_links_yet_stays_inert(alice, private_dataset):
    posts = [
        services.post_create(
            by=alice,
            thread=services.thread_create(
                by=alice, title="x", body="x", asset=private_dataset, rate_limited=False
            ),
            body=f"@alice #card-transactions {payload}",
            rate_limited=False,
        )
        for payload in XSS_PAYLOADS[:12]
    ]
    selectors.render_posts(user=alice, posts=posts)
    for post in posts:
        assert 'class="asset-ref"' in post.html and 'class="mention"' in post.html
        assert unsafe_markup(post.html) == [], post.body

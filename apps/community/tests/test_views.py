"""Forum pages: fixed query counts, the Discussion tab, the reply form's errors, htmx partials, navigation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.community import services
from apps.community.models import Follow, Post, Reaction

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def queries_of(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return len(queries)


def busy_thread(thread, people, n):
    for i in range(n):
        post = services.post_create(
            by=people[i % len(people)],
            thread=thread,
            body=f"@olivia #card-transactions reply {i}",
            rate_limited=False,
        )
        for person in people:
            services.reaction_toggle(by=person, post=post, emoji="heart")


def test_the_thread_page_costs_the_same_whatever_the_number_of_posts(
    client, alice, ann, olivia, private_thread
):
    web = signed_in(client, alice)
    url = reverse("community:thread_detail", args=[private_thread.pk])
    busy_thread(private_thread, [ann, olivia], 1)
    few = queries_of(web, url)
    busy_thread(private_thread, [ann, olivia], 8)
    assert queries_of(web, url) == few
    page = web.get(url).content.decode()
    assert page.count('class="card mb-3 post') == 10
    assert 'class="mention"' in page and 'class="asset-ref"' in page


def test_the_forum_home_and_the_asset_tab_cost_the_same_whatever_the_number_of_threads(
    client, alice, private_dataset, internal_dataset, org_category
):
    web = signed_in(client, alice)
    tab = reverse("community:asset_discussions", args=["catalog.dataset", private_dataset.pk])
    services.thread_create(by=alice, title="First", body="x", asset=private_dataset, rate_limited=False)
    services.thread_create(
        by=alice, title="In a category", body="x", category=org_category, rate_limited=False
    )
    home_few, tab_few = queries_of(web, reverse("community:home")), queries_of(web, tab)
    for n in range(6):
        services.thread_create(
            by=alice, title=f"More {n}", body="x", asset=internal_dataset, rate_limited=False
        )
        services.thread_create(
            by=alice, title=f"Here {n}", body="x", asset=private_dataset, rate_limited=False
        )
    assert queries_of(web, reverse("community:home")) == home_few
    assert queries_of(web, tab) == tab_few


def test_the_dataset_pages_show_the_discussion_tab_with_its_count_and_a_follow_button(
    client, alice, bob, private_dataset, private_thread
):
    page = (
        signed_in(client, alice)
        .get(reverse("catalog:dataset_detail", args=[private_dataset.pk]))
        .content.decode()
    )
    tab = reverse("community:asset_discussions", args=["catalog.dataset", private_dataset.pk])
    assert f'href="{tab}"' in page and 'id="discussion-count">1<' in page
    assert page.index(">Lineage<") < page.index(">Discussion<") < page.index(">History<")
    assert "follow-button" in page
    tab_page = client.get(tab).content.decode()
    assert private_thread.title in tab_page and "Card transactions" in tab_page
    assert 'aria-current="page"><i aria-hidden="true" class="ti ti-messages' in tab_page  # the active tab


def test_a_term_and_a_column_have_their_discussions(client, alice, fraud_team, private_dataset):
    from apps.catalog.models import Column, GlossaryTerm
    from apps.core.history import acting_user

    with acting_user(alice):
        term = GlossaryTerm.objects.create(
            team=fraud_team, name="Chargeback", slug="chargeback", definition="x"
        )
    column = Column.objects.create(dataset=private_dataset, name="amount", position=1)
    services.thread_create(by=alice, title="Partial chargebacks?", body="x", asset=term)
    services.thread_create(by=alice, title="Cents?", body="x", asset=column)
    web = signed_in(client, alice)
    term_page = web.get(reverse("catalog:term_detail", args=[term.slug])).content.decode()
    assert 'id="discussion-button"' in term_page and 'id="discussion-count">1<' in term_page
    schema = web.get(reverse("catalog:dataset_schema", args=[private_dataset.pk])).content.decode()
    assert reverse("community:asset_discussions", args=["catalog.column", column.pk]) in schema
    column_tab = web.get(reverse("community:asset_discussions", args=["catalog.column", column.pk]))
    assert "Cents?" in column_tab.content.decode()


def test_a_reply_too_fast_keeps_the_text_and_says_why(client, alice, internal_thread, settings):
    settings.COMMUNITY_POST_RATE_LIMITS = "1/minute"  # the thread fixture used it
    web = signed_in(client, alice)
    response = web.post(
        reverse("community:post_create", args=[internal_thread.pk]), {"body": "My careful answer"}
    )
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    page = response.content.decode()
    assert "You are posting too fast" in page and "My careful answer" in page


def test_an_empty_reply_is_a_field_error(client, alice, internal_thread):
    response = signed_in(client, alice).post(
        reverse("community:post_create", args=[internal_thread.pk]), {"body": " "}
    )
    assert response.status_code == 400 and 'id="id_body_errors"' in response.content.decode()


def test_replying_to_a_post_and_editing_inline(client, alice, ann, private_thread):
    web = signed_in(client, ann)
    opening = Post.objects.get(thread=private_thread, is_opening=True)
    response = web.post(
        reverse("community:post_create", args=[private_thread.pk]),
        {"body": "It's payroll", "reply_to": opening.pk},
    )
    reply = Post.objects.get(thread=private_thread, is_opening=False)
    assert response["Location"].endswith(f"#post-{reply.pk}") and reply.reply_to == opening
    edit = reverse("community:post_edit", args=[reply.pk])
    form = web.get(edit, headers={"HX-Request": "true"}).content.decode()
    assert 'class="post-edit-form"' in form and "<html" not in form
    saved = web.post(edit, {"body": "It's payroll day"}, headers={"HX-Request": "true"})
    assert f'id="post-{reply.pk}"' in saved.content.decode() and "payroll day" in saved.content.decode()
    refused = web.post(edit, {"body": ""}, headers={"HX-Request": "true"})
    assert refused["HX-Retarget"] == f"#post-body-{reply.pk}" and "post-edit-form" in refused.content.decode()
    assert (
        web.get(reverse("community:post_revisions", args=[reply.pk]))
        .content.decode()
        .count('class="card mb-3 revision')
        == 2
    )


def test_reactions_and_follows_answer_htmx_with_their_partial(client, ann, private_thread):
    web = signed_in(client, ann)
    opening = Post.objects.get(thread=private_thread, is_opening=True)
    bar = web.post(
        reverse("community:post_react", args=[opening.pk]),
        {"emoji": "rocket"},
        headers={"HX-Request": "true"},
    )
    assert f'id="reactions-{opening.pk}"' in bar.content.decode() and "reaction-mine" in bar.content.decode()
    assert Reaction.objects.filter(user=ann, emoji="rocket").exists()
    button = web.post(
        reverse("community:follow_toggle"),
        {"target": f"community.thread:{private_thread.pk}"},
        headers={"HX-Request": "true"},
    )
    assert 'data-following="true"' in button.content.decode()
    assert Follow.objects.filter(user=ann).count() == 1


def test_moderation_and_accepting_from_the_page(client, alice, olivia, ann, private_thread):
    answer = services.post_create(by=ann, thread=private_thread, body="Payroll")
    signed_in(client, alice).post(
        reverse("community:thread_accept", args=[private_thread.pk]), {"post": answer.pk}
    )
    private_thread.refresh_from_db()
    assert private_thread.accepted_post == answer
    assert (
        client.post(
            reverse("community:thread_moderate", args=[private_thread.pk]), {"action": "lock"}
        ).status_code
        == 403
    )
    signed_in(client, olivia).post(
        reverse("community:thread_moderate", args=[private_thread.pk]), {"action": "lock"}
    )
    private_thread.refresh_from_db()
    assert private_thread.is_locked and private_thread.post_count == 2  # counters untouched by moderation
    page = (
        signed_in(client, ann)
        .get(reverse("community:thread_detail", args=[private_thread.pk]))
        .content.decode()
    )
    assert "This discussion is locked" in page and 'id="reply-form"' not in page


def test_autocomplete_offers_people_teams_and_only_visible_assets(
    client, bob, alice, private_dataset, internal_dataset
):
    web = signed_in(client, bob)
    people = web.get(reverse("community:autocomplete"), {"q": "@al"}).content.decode()
    assert 'data-insert="@alice"' in people
    teams = web.get(reverse("community:autocomplete"), {"q": "@fra"}).content.decode()
    assert 'data-insert="@fraud-analytics"' in teams
    assets = web.get(reverse("community:autocomplete"), {"q": "#"}).content.decode()
    assert "data-insert" not in assets  # nothing typed yet
    merchant = web.get(reverse("community:autocomplete"), {"q": "#mer"}).content.decode()
    assert 'data-insert="#merchant-list"' in merchant
    hidden = web.get(reverse("community:autocomplete"), {"q": "#card"}).content.decode()
    assert "card-transactions" not in hidden and "Card transactions" not in hidden


def test_autocomplete_runs_a_fixed_number_of_queries(client, alice, root, fraud_team, make_user):
    from apps.catalog.services import dataset_create
    from apps.teams.services import membership_set

    web = signed_in(client, alice)
    url = reverse("community:autocomplete")
    dataset_create(team=fraud_team, by=root, name="Card a", visibility="internal")
    few_people, few_assets = (
        queries_of(web, url, data={"q": "@car"}),
        queries_of(web, url, data={"q": "#card"}),
    )
    for n in range(6):
        membership_set(team=fraud_team, user=make_user(f"carla{n}"), role="analyst", by=root)
        dataset_create(team=fraud_team, by=root, name=f"Card {n}", visibility="internal")
    assert queries_of(web, url, data={"q": "@car"}) == few_people
    assert queries_of(web, url, data={"q": "#card"}) == few_assets


def test_the_preview_renders_for_the_writer(client, alice, bob, private_dataset):
    body = {"body": "**bold** #card-transactions"}
    for_alice = signed_in(client, alice).post(reverse("community:preview"), body).content.decode()
    assert "<strong>bold</strong>" in for_alice and f"/catalog/datasets/{private_dataset.pk}/" in for_alice
    for_bob = signed_in(client, bob).post(reverse("community:preview"), body).content.decode()
    assert f"/catalog/datasets/{private_dataset.pk}/" not in for_bob and "#card-transactions" in for_bob


def test_categories_are_opened_by_data_officers_for_their_team(client, alice, olivia, root, fraud_team):
    assert signed_in(client, alice).get(reverse("community:category_create")).status_code == 403
    web = signed_in(client, olivia)
    form = web.get(reverse("community:category_create")).content.decode()
    assert "Organisation-wide" not in form  # only administrators open those
    created = web.post(
        reverse("community:category_create"),
        {"name": "Model reviews", "team": fraud_team.pk, "visibility": "private", "position": 3},
    )
    assert created.status_code == 302
    refused = web.post(
        reverse("community:category_create"), {"name": "Everyone", "visibility": "internal", "position": 0}
    )
    assert refused.status_code == 400


def test_the_community_entry_is_active_on_the_forum_but_not_on_the_inbox(client, alice):
    web = signed_in(client, alice)
    forum = web.get(reverse("community:home")).context["navigation"]
    inbox = web.get(reverse("community:notification_list")).context["navigation"]
    assert [item["label"] for item in forum if item["active"]] == ["Community"]
    assert [item["label"] for item in inbox if item["active"]] == []
    assert next(item for item in forum if item["label"] == "Community")["built"] is True


def test_an_assets_discussion_and_activity_tabs_keep_its_area_active(
    client, alice, fraud_team, private_dataset
):
    from apps.catalog.models import GlossaryTerm
    from apps.core.history import acting_user
    from apps.experiments.services.tracking import experiment_create

    with acting_user(alice):
        term = GlossaryTerm.objects.create(
            team=fraud_team, name="Chargeback", slug="chargeback", definition="x"
        )
    experiment = experiment_create(by=alice, name="Fraud models")
    web = signed_in(client, alice)

    def active(route, label, pk):
        navigation = web.get(reverse(route, args=[label, pk])).context["navigation"]
        return [item["label"] for item in navigation if item["active"]]

    assert active("community:asset_discussions", "catalog.dataset", private_dataset.pk) == ["Catalog"]
    assert active("community:asset_activity", "catalog.dataset", private_dataset.pk) == ["Catalog"]
    assert active("community:asset_discussions", "catalog.glossaryterm", term.pk) == ["Glossary"]
    assert active("community:asset_discussions", "experiments.experiment", experiment.pk) == ["Experiments"]

"""Glossary terms and tags: pages, API, services, and what a user of another team may see."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from apps.catalog.models import Column, Dataset, GlossaryTerm, Tag
from apps.catalog.services import glossary as services

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def customer(fraud_team, alice):
    return services.glossary_term_create(
        team=fraud_team,
        by=alice,
        name="Customer",
        definition="A person with **an account**.",
        synonyms="client, account holder",
    )


@pytest.fixture
def secret_term(fraud_team, alice):
    return services.glossary_term_create(
        team=fraud_team, by=alice, name="Mule score", definition="Private scoring idea", visibility="private"
    )


def test_a_term_is_created_with_a_slug_owners_synonyms_and_history(alice, customer):
    assert customer.slug == "customer"
    assert customer.synonyms == ["client", "account holder"]
    assert list(customer.owners.all()) == [alice]
    assert customer.visibility == "internal"
    assert customer.history.first().history_user == alice


def test_a_duplicate_name_in_the_team_is_a_field_error(fraud_team, alice, customer):
    with pytest.raises(ValidationError) as error:
        services.glossary_term_create(team=fraud_team, by=alice, name="customer", definition="x")
    assert "name" in error.value.message_dict


def test_the_list_searches_synonyms_and_hides_private_terms_of_other_teams(
    client, bob, customer, secret_term
):
    web = client_for(client, bob)
    response = web.get(reverse("catalog:term_list") + "?q=client")
    assert list(response.context["terms"]) == [customer]
    body = web.get(reverse("catalog:term_list")).content.decode()
    assert "Customer" in body and "Mule score" not in body
    assert web.get(secret_term.get_absolute_url()).status_code == 404


def test_the_term_page_lists_only_visible_datasets_and_columns_using_it(
    client, alice, bob, customer, private_dataset, internal_dataset
):
    services.dataset_terms_set(dataset=private_dataset, by=alice, terms=[customer])
    services.dataset_terms_set(dataset=internal_dataset, by=alice, terms=[customer])
    Column.objects.create(dataset=private_dataset, name="customer_id", term=customer)
    Column.objects.create(dataset=internal_dataset, name="merchant_customer", term=customer)
    page = client_for(client, bob).get(customer.get_absolute_url())
    assert list(page.context["datasets"]) == [internal_dataset]
    assert [c.name for c in page.context["columns"]] == ["merchant_customer"]
    body = page.content.decode()
    assert "Card transactions" not in body and "customer_id" not in body
    assert "<strong>an account</strong>" in body  # Markdown, sanitized


def test_editing_needs_the_change_right(client, ann, bob, alice, customer):
    edit = reverse("catalog:term_edit", args=[customer.slug])
    assert client_for(client, bob).get(edit).status_code == 403  # visible (internal), not his team
    assert client_for(client, ann).get(edit).status_code == 403  # analyst: read-only
    response = client_for(client, alice).post(
        edit,
        {
            "name": "Customer",
            "definition": "Someone who pays.",
            "synonyms": "client",
            "visibility": "internal",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.definition == "Someone who pays."
    history = client_for(client, alice).get(reverse("catalog:term_history", args=[customer.slug]))
    assert "Someone who pays." in history.content.decode()


def test_creating_a_term_from_the_page(client, alice, fraud_team):
    response = client_for(client, alice).post(
        reverse("catalog:term_create"),
        {
            "team": fraud_team.pk,
            "name": "Churn",
            "definition": "Leaving within 90 days.",
            "visibility": "internal",
        },
    )
    term = GlossaryTerm.objects.get(name="Churn")
    assert response["Location"] == term.get_absolute_url()
    bad = client_for(client, alice).post(reverse("catalog:term_create"), {"team": fraud_team.pk, "name": ""})
    assert {"name", "definition"} <= set(bad.context["form"].errors)


def test_tags_are_created_on_first_use_and_the_side_panel_links_them(
    client, alice, internal_dataset, customer
):
    web = client_for(client, alice)
    response = web.post(
        reverse("catalog:dataset_labels_edit", args=[internal_dataset.pk]),
        {"tags": "Payments, gold, payments", "terms": [customer.pk]},
    )
    assert response.status_code == 302
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["gold", "payments"]
    assert list(internal_dataset.terms.all()) == [customer]
    page = web.get(internal_dataset.get_absolute_url()).content.decode()
    assert reverse("catalog:tag_detail", args=["gold"]) in page
    assert customer.get_absolute_url() in page
    # History of the dataset records the tag change, attributed to alice.
    assert internal_dataset.history.first().history_user == alice


def test_an_outsider_may_not_label_a_dataset(client, bob, internal_dataset, private_dataset):
    web = client_for(client, bob)
    assert (
        web.post(
            reverse("catalog:dataset_labels_edit", args=[internal_dataset.pk]), {"tags": "x"}
        ).status_code
        == 403
    )
    assert (
        web.post(reverse("catalog:dataset_labels_edit", args=[private_dataset.pk]), {"tags": "x"}).status_code
        == 404
    )
    assert not Tag.objects.exists()


def test_a_tag_used_only_on_a_private_dataset_is_invisible_to_outsiders(
    client, alice, bob, private_dataset, internal_dataset
):
    services.dataset_tags_set(dataset=private_dataset, by=alice, names=["project-falcon", "shared"])
    services.dataset_tags_set(dataset=internal_dataset, by=alice, names=["shared"])
    web = client_for(client, bob)
    listing = web.get(reverse("catalog:tag_list"))
    assert [(t.name, t.dataset_count) for t in listing.context["tags"]] == [("shared", 1)]
    assert "project-falcon" not in listing.content.decode()
    assert web.get(reverse("catalog:tag_detail", args=["project-falcon"])).status_code == 404
    shared = web.get(reverse("catalog:tag_detail", args=["shared"]))
    assert list(shared.context["datasets"]) == [internal_dataset]


def test_bad_tags_get_a_field_error(client, alice, internal_dataset):
    response = client_for(client, alice).post(
        reverse("catalog:dataset_labels_edit", args=[internal_dataset.pk]), {"tags": "ok, " + "x" * 70}
    )
    assert response.status_code == 200 and "tags" in response.context["form"].errors
    assert not Tag.objects.exists()


def test_the_api_defines_terms_and_sets_a_datasets_labels(alice, bob, fraud_team, internal_dataset, customer):
    api = api_for(alice)
    created = api.post(
        "/api/v1/glossary/terms/",
        {
            "team": fraud_team.slug,
            "name": "Fraud label",
            "definition": "Confirmed fraud.",
            "related": ["customer"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["related"] == ["customer"]
    response = api.put(
        f"/api/v1/datasets/{internal_dataset.pk}/labels/",
        {"tags": ["gold"], "terms": ["fraud-label"]},
        format="json",
    )
    assert response.json() == {"tags": ["gold"], "terms": ["fraud-label"]}
    assert (
        api.put(
            f"/api/v1/datasets/{internal_dataset.pk}/labels/", {"terms": ["nope"]}, format="json"
        ).status_code
        == 400
    )
    bob_api = api_for(bob)
    assert (
        bob_api.put(
            f"/api/v1/datasets/{internal_dataset.pk}/labels/", {"tags": []}, format="json"
        ).status_code
        == 403
    )
    assert bob_api.get("/api/v1/tags/").json()["results"][0]["slug"] == "gold"
    into_fraud = bob_api.post(
        "/api/v1/glossary/terms/", {"team": fraud_team.slug, "name": "X", "definition": "y"}, format="json"
    )
    assert into_fraud.status_code == 400 and "team" in into_fraud.json()["fields"]
    assert (
        bob_api.patch("/api/v1/glossary/terms/customer/", {"definition": "hacked"}, format="json").status_code
        == 403
    )


def test_lists_run_a_fixed_number_of_queries(client, alice, fraud_team, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(start, count):
        for index in range(start, start + count):
            term = services.glossary_term_create(
                team=fraud_team, by=alice, name=f"Term {index}", definition="d"
            )
            dataset = Dataset.objects.create(
                team=fraud_team, name=f"D{index}", slug=f"d{index}", visibility="internal"
            )
            services.dataset_tags_set(dataset=dataset, by=alice, names=[f"tag {index}"])
            services.dataset_terms_set(dataset=dataset, by=alice, terms=[term])

    add(0, 1)
    web, api = client_for(client, alice), api_for(alice)
    urls = [
        reverse("catalog:term_list"),
        reverse("catalog:tag_list"),
        "/api/v1/glossary/terms/",
        "/api/v1/tags/",
    ]
    counts = {}
    for url in urls:
        (api if url.startswith("/api/") else web).get(url)
        with CaptureQueriesContext(connection) as captured:
            (api if url.startswith("/api/") else web).get(url)
        counts[url] = len(captured)
    add(1, 6)
    for url in urls:
        with django_assert_num_queries(counts[url]):
            response = (api if url.startswith("/api/") else web).get(url)
        assert response.status_code == 200


def test_the_demo_glossary_is_idempotent_and_leaves_one_pending_request():
    from apps.demo.services import demo_seed

    first = demo_seed(password="demo-password-for-tests")  # noqa: S106 - test only
    assert first["glossary terms"] >= 10
    assert GlossaryTerm.objects.get(name="Fraud label").datasets.filter(name="Card transactions").exists()
    assert Tag.objects.filter(slug="pii").exists()
    from apps.catalog.models import AccessRequest

    pending = AccessRequest.objects.get(status="pending")
    assert (pending.requester.username, pending.dataset.name) == ("bob", "Card transactions")
    assert pending.dataset.visibility == "private" and pending.dataset.team.name == "Fraud Analytics"
    second = demo_seed(password="demo-password-for-tests")  # noqa: S106 - test only
    mine = ("glossary terms", "term links", "tagged datasets", "access requests")
    assert not any(key in second for key in mine)
    assert AccessRequest.objects.count() == 1

"""Dataset pages: list, CSV export, detail, create, edit and history, for the shared cast."""

import csv
import io

import pytest
from django.urls import reverse

from apps.catalog.models import Dataset
from apps.catalog.services import dataset_create, dataset_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def list_url(**query):
    from urllib.parse import urlencode

    return reverse("catalog:dataset_list") + (f"?{urlencode(query)}" if query else "")


# --- list -----------------------------------------------------------------------


def test_the_list_shows_the_team_its_private_and_internal_datasets(
    signed_in, alice, private_dataset, internal_dataset
):
    response = signed_in(alice).get(list_url())
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [private_dataset, internal_dataset]
    assert "Card transactions" in response.content.decode()


def test_an_outsider_sees_neither_the_private_dataset_nor_its_count(
    signed_in, bob, private_dataset, internal_dataset
):
    response = signed_in(bob).get(list_url())
    body = response.content.decode()
    assert list(response.context["object_list"]) == [internal_dataset]
    assert response.context["page_obj"].paginator.count == 1
    assert "Card transactions" not in body
    assert f"/catalog/datasets/{private_dataset.pk}/" not in body
    assert "1 dataset you may see" in body


def test_an_outsider_filtering_on_the_owning_team_finds_nothing_private(
    signed_in, bob, fraud_team, private_dataset
):
    response = signed_in(bob).get(list_url(team=fraud_team.slug, visibility="private"))
    assert list(response.context["object_list"]) == []
    assert "No dataset matches these filters" in response.content.decode()


def test_filters_combine_text_team_and_visibility(signed_in, alice, private_dataset, internal_dataset):
    client = signed_in(alice)
    assert list(client.get(list_url(q="merchant")).context["object_list"]) == [internal_dataset]
    assert list(client.get(list_url(visibility="private")).context["object_list"]) == [private_dataset]


def test_columns_sort_both_ways(signed_in, alice, private_dataset, internal_dataset):
    client = signed_in(alice)
    assert list(client.get(list_url(sort="-name")).context["object_list"]) == [
        internal_dataset,
        private_dataset,
    ]
    assert list(client.get(list_url(sort="name")).context["object_list"]) == [
        private_dataset,
        internal_dataset,
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "drop table"},
        {"team": "no-such-team"},
        {"visibility": "secret"},
        {"page": "9999"},
        {"page": "x"},
    ],
)
def test_nonsense_in_the_query_string_never_fails_the_page(signed_in, alice, private_dataset, query):
    assert signed_in(alice).get(list_url(**query)).status_code == 200


def test_the_empty_list_says_what_to_do_first(signed_in, alice):
    body = signed_in(alice).get(list_url()).content.decode()
    assert "No datasets yet" in body
    assert reverse("catalog:dataset_create") in body


def test_the_list_runs_a_fixed_number_of_queries(signed_in, alice, fraud_team, django_assert_num_queries):
    client = signed_in(alice)
    dataset_create(team=fraud_team, by=alice, name="Dataset 0")
    client.get(list_url())  # warm up the session and content-type caches

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(list_url()).status_code == 200
        return len(captured)

    few = count_queries()
    for index in range(1, 12):
        dataset_create(team=fraud_team, by=alice, name=f"Dataset {index}")
    # session, user, count, page of datasets (+ team), team filter choices, "may create?" check
    with django_assert_num_queries(few):
        client.get(list_url())


def test_signed_out_visitors_are_sent_to_sign_in(client, private_dataset):
    response = client.get(list_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- CSV export -----------------------------------------------------------------


def rows(response):
    return list(csv.DictReader(io.StringIO(b"".join([response.content]).decode())))


def test_the_export_holds_what_the_list_shows(signed_in, alice, private_dataset, internal_dataset):
    response = signed_in(alice).get(reverse("catalog:dataset_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert [row["name"] for row in rows(response)] == ["Card transactions", "Merchant list"]


def test_the_export_leaves_out_another_teams_private_dataset(
    signed_in, bob, private_dataset, internal_dataset
):
    response = signed_in(bob).get(reverse("catalog:dataset_export"))
    assert [row["name"] for row in rows(response)] == ["Merchant list"]
    assert "Card transactions" not in response.content.decode()


def test_the_export_defuses_spreadsheet_formulas(signed_in, alice, fraud_team):
    dataset_create(team=fraud_team, by=alice, name="=HYPERLINK(1)")
    response = signed_in(alice).get(reverse("catalog:dataset_export"))
    assert rows(response)[0]["name"] == "'=HYPERLINK(1)"


def test_the_export_runs_a_fixed_number_of_queries(signed_in, alice, fraud_team, django_assert_num_queries):
    client = signed_in(alice)
    for index in range(20):
        dataset_create(team=fraud_team, by=alice, name=f"Dataset {index}")
    with django_assert_num_queries(3):  # session, user, datasets joined with their teams
        response = client.get(reverse("catalog:dataset_export"))
    assert len(rows(response)) == 20


# --- detail and history ---------------------------------------------------------


def test_members_see_the_dataset_page_with_its_rendered_description(signed_in, alice, private_dataset):
    dataset_update(dataset=private_dataset, by=alice, description="**Bold** <script>alert(1)</script>")
    body = signed_in(alice).get(private_dataset.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in body
    assert "<script>alert(1)" not in body
    assert "Private" in body


def test_an_outsider_gets_404_on_the_private_dataset_and_its_history(signed_in, bob, private_dataset):
    client = signed_in(bob)
    for url in (
        private_dataset.get_absolute_url(),
        reverse("catalog:dataset_history", args=[private_dataset.pk]),
        reverse("catalog:dataset_edit", args=[private_dataset.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Stolen"}).status_code in (404, 405), url
    private_dataset.refresh_from_db()
    assert private_dataset.name == "Card transactions"


def test_an_outsider_reads_an_internal_dataset_but_may_not_edit_it(signed_in, bob, internal_dataset):
    client = signed_in(bob)
    page = client.get(internal_dataset.get_absolute_url())
    assert page.status_code == 200
    assert reverse("catalog:dataset_edit", args=[internal_dataset.pk]) not in page.content.decode()
    assert client.get(reverse("catalog:dataset_edit", args=[internal_dataset.pk])).status_code == 403


def test_an_unknown_dataset_is_404(signed_in, alice):
    assert signed_in(alice).get(reverse("catalog:dataset_detail", args=[999999])).status_code == 404


def test_history_shows_who_changed_which_field_from_what_to_what(signed_in, alice, olivia, private_dataset):
    dataset_update(dataset=private_dataset, by=olivia, visibility="internal", domain="payments")
    response = signed_in(alice).get(reverse("catalog:dataset_history", args=[private_dataset.pk]))
    newest, created = response.context["history_rows"]
    assert newest.who == "olivia"
    assert newest.verb == "changed"
    assert {(c.field, c.old, c.new) for c in newest.changes} == {
        ("Visibility", "Private", "Internal"),
        ("Domain", None, "payments"),
    }
    assert created.who == "alice"
    assert ("Team", None, "Fraud Analytics") in {(c.field, c.old, c.new) for c in created.changes}


def test_history_is_paginated_with_a_fixed_number_of_queries(
    signed_in, alice, private_dataset, django_assert_num_queries
):
    client = signed_in(alice)
    url = reverse("catalog:dataset_history", args=[private_dataset.pk])
    for index in range(3):
        dataset_update(dataset=private_dataset, by=alice, domain=f"domain {index}")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for index in range(40):
        dataset_update(dataset=private_dataset, by=alice, domain=f"more {index}")
    with django_assert_num_queries(len(captured)):
        first = client.get(url)
    assert len(first.context["history_rows"]) == 25
    second = client.get(url + "?page=2")
    assert len(second.context["history_rows"]) == 44 - 25
    # The oldest row on page 1 is diffed against the newest row on page 2.
    assert (
        first.context["history_rows"][-1].changes[0].old == second.context["history_rows"][0].changes[0].new
    )


# --- create and edit ------------------------------------------------------------


def test_a_member_registers_a_dataset_and_lands_on_its_page(signed_in, alice, fraud_team):
    response = signed_in(alice).post(
        reverse("catalog:dataset_create"),
        {
            "team": fraud_team.pk,
            "name": "Chargebacks",
            "visibility": "private",
            "domain": "",
            "description": "",
        },
    )
    dataset = Dataset.objects.get(name="Chargebacks")
    assert response.status_code == 302
    assert response["Location"] == dataset.get_absolute_url()
    assert dataset.slug == "chargebacks"
    assert dataset.history.get().history_user == alice


def test_a_duplicate_name_in_the_team_is_an_error_on_the_name_field(
    signed_in, alice, fraud_team, private_dataset
):
    response = signed_in(alice).post(
        reverse("catalog:dataset_create"),
        {"team": fraud_team.pk, "name": "card transactions", "visibility": "private"},
    )
    assert response.status_code == 200
    assert "already has a dataset named" in response.context["form"].errors["name"][0]
    assert 'class="invalid-feedback d-block" id="id_name_errors"' in response.content.decode()
    assert Dataset.objects.count() == 1


def test_missing_fields_are_reported_next_to_each_field(signed_in, alice, fraud_team):
    response = signed_in(alice).post(reverse("catalog:dataset_create"), {"team": fraud_team.pk})
    assert set(response.context["form"].errors) == {"name", "visibility"}


def test_a_member_may_not_register_into_another_team(signed_in, alice, platform_team):
    response = signed_in(alice).post(
        reverse("catalog:dataset_create"),
        {"team": platform_team.pk, "name": "Sneaky", "visibility": "private"},
    )
    assert "team" in response.context["form"].errors
    assert not Dataset.objects.filter(name="Sneaky").exists()


def test_an_analyst_may_neither_register_nor_edit(signed_in, ann, private_dataset):
    client = signed_in(ann)
    assert client.get(reverse("catalog:dataset_create")).status_code == 403
    edit = reverse("catalog:dataset_edit", args=[private_dataset.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name": "Renamed", "visibility": "internal"}).status_code == 403
    private_dataset.refresh_from_db()
    assert private_dataset.name == "Card transactions"


def test_a_member_edits_a_dataset_and_the_change_is_attributed(signed_in, alice, private_dataset):
    response = signed_in(alice).post(
        reverse("catalog:dataset_edit", args=[private_dataset.pk]),
        {"name": "Card transactions EU", "visibility": "internal", "domain": "payments", "description": "Hi"},
    )
    assert response.status_code == 302
    private_dataset.refresh_from_db()
    assert (private_dataset.name, private_dataset.visibility) == ("Card transactions EU", "internal")
    assert private_dataset.history.first().history_user == alice


def test_renaming_onto_a_sibling_name_is_a_field_error(signed_in, alice, private_dataset, internal_dataset):
    response = signed_in(alice).post(
        reverse("catalog:dataset_edit", args=[private_dataset.pk]),
        {"name": "Merchant List", "visibility": "private"},
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    private_dataset.refresh_from_db()
    assert private_dataset.name == "Card transactions"

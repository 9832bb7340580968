"""Preview: the first rows of a version, with PII masked server-side for everyone without `change`."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.catalog.tests import profiling_data
from apps.catalog.tests.profiling_data import SECRET_EMAIL, add_file_version
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db

# The shared fixtures (a stored Parquet version of Fraud's private dataset, profiled or not).
customers_version = profiling_data.customers_version
media = profiling_data.media
profiled_version = profiling_data.profiled_version


def html_preview(client, dataset, **query):
    return client.get(
        reverse("catalog:dataset_preview", kwargs={"pk": dataset.pk}), query, headers={"HX-Request": "true"}
    )


def api_preview(user, dataset, **query):
    from django.test import Client

    _, raw = token_issue(user=user, name="preview test")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    return client.get(f"/api/v1/datasets/{dataset.pk}/preview/", query)


def test_the_team_editors_see_pii_values(client, customers_version, alice):
    client.force_login(alice)
    response = html_preview(client, customers_version.dataset)
    assert response.status_code == 200
    assert SECRET_EMAIL in response.content.decode()
    body = api_preview(alice, customers_version.dataset).json()
    assert body["masked"] == [] and body["rows"][0][1] == SECRET_EMAIL


def test_an_analyst_never_receives_a_pii_value_in_html(client, customers_version, ann):
    client.force_login(ann)
    response = html_preview(client, customers_version.dataset, limit=500)
    html = response.content.decode()
    assert response.status_code == 200
    assert SECRET_EMAIL not in html and "@example.org" not in html
    assert "•••" in html and "retail" in html  # other columns stay readable
    assert "Personal data in email is masked" in html


def test_an_analyst_never_receives_a_pii_value_in_json(customers_version, ann):
    response = api_preview(ann, customers_version.dataset, limit=500)
    assert response.status_code == 200
    assert SECRET_EMAIL not in response.content.decode() and "@example.org" not in response.content.decode()
    body = response.json()
    email = [column["name"] for column in body["columns"]].index("email")
    assert {row[email] for row in body["rows"]} == {"•••"}
    assert body["masked"] == ["email"] and body["columns"][email] == {
        "name": "email",
        "type": "VARCHAR",
        "pii": True,
        "masked": True,
    }
    assert len(body["rows"]) == 40 and body["limit"] == 500


def test_another_team_viewing_an_internal_dataset_gets_masked_rows(
    client, internal_dataset, media, alice, bob
):
    add_file_version(internal_dataset, media=media, by=alice)
    client.force_login(bob)
    assert SECRET_EMAIL not in html_preview(client, internal_dataset).content.decode()
    assert SECRET_EMAIL not in api_preview(bob, internal_dataset).content.decode()


def test_a_grant_holder_sees_masked_pii(customers_version, bob):
    from guardian.shortcuts import assign_perm

    assign_perm("view_dataset", bob, customers_version.dataset)
    response = api_preview(bob, customers_version.dataset)
    assert response.status_code == 200
    assert SECRET_EMAIL not in response.content.decode()


def test_the_profile_of_a_pii_column_keeps_counts_and_hides_values(client, profiled_version, ann, alice):
    dataset = profiled_version.dataset
    client.force_login(ann)
    page = client.get(reverse("catalog:dataset_profile", kwargs={"pk": dataset.pk})).content.decode()
    csv_body = client.get(
        reverse("catalog:dataset_profile_export", kwargs={"pk": dataset.pk})
    ).content.decode()
    column_csv = client.get(
        reverse("catalog:dataset_profile_export", kwargs={"pk": dataset.pk}), {"column": "email"}
    ).content.decode()
    from django.test import Client

    _, raw = token_issue(user=ann, name="profile test")
    profile = Client(headers={"Authorization": f"Bearer {raw}"}).get(
        f"/api/v1/datasets/{dataset.pk}/profile/"
    )
    for body in (page, csv_body, column_csv, profile.content.decode()):
        assert SECRET_EMAIL not in body and "@example.org" not in body
    email = next(column for column in profile.json()["columns"] if column["name"] == "email")
    assert (
        email["masked"] is True and email["count"] == 40 and "top" not in email and "histogram" not in email
    )
    # alice, who may edit the dataset, sees the top value
    client.force_login(alice)
    assert (
        SECRET_EMAIL
        in client.get(reverse("catalog:dataset_profile", kwargs={"pk": dataset.pk})).content.decode()
    )
    assert json.dumps(SECRET_EMAIL) not in page


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-3"])
def test_the_api_refuses_a_limit_out_of_range(customers_version, alice, limit):
    response = api_preview(alice, customers_version.dataset, limit=limit)
    assert response.status_code == 400
    assert response.json()["fields"] == {"limit": ["Ask for a whole number of rows from 1 to 500."]}


def test_the_limit_defaults_to_50_and_is_honoured(media, private_dataset, alice):
    add_file_version(private_dataset, media=media, rows=120, by=alice)
    assert len(api_preview(alice, private_dataset).json()["rows"]) == 50
    assert len(api_preview(alice, private_dataset, limit=7).json()["rows"]) == 7


def test_an_unknown_version_is_a_404_and_an_unreadable_file_a_clear_422(customers_version, media, alice):
    assert api_preview(alice, customers_version.dataset, version=9).status_code == 404
    (media / "uploads" / "customers.parquet").write_bytes(b"")
    response = api_preview(alice, customers_version.dataset)
    assert response.status_code == 422
    assert "is empty" in response.content.decode()


def test_the_html_partial_explains_an_unreadable_file(client, customers_version, media, alice):
    (media / "uploads" / "customers.parquet").write_bytes(b"")
    client.force_login(alice)
    response = html_preview(client, customers_version.dataset, limit="lots")
    assert response.status_code == 200
    assert "is empty (0 bytes)" in response.content.decode()


def test_outsiders_get_404_for_a_private_preview(client, customers_version, bob):
    client.force_login(bob)
    assert html_preview(client, customers_version.dataset).status_code == 404
    assert api_preview(bob, customers_version.dataset).status_code == 404


def test_cells_render_as_people_read_them(client, customers_version, alice):
    client.force_login(alice)
    html = html_preview(client, customers_version.dataset, limit=3).content.decode()
    assert '<td class="text-nowrap">false</td>' in html and "True" not in html
    assert '<span class="text-secondary">null</span>' in html

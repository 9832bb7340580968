"""The 404 page: one answer for "missing" and "not yours", with a way to ask for a dataset."""

import pytest

pytestmark = pytest.mark.django_db


def test_another_teams_private_dataset_answers_404_with_a_link_to_ask_for_it(client, bob, private_dataset):
    client.force_login(bob)
    path = f"/catalog/datasets/{private_dataset.pk}/"
    response = client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Card transactions" not in page
    assert f'href="/catalog/access-requests/new/?dataset=/catalog/datasets/{private_dataset.pk}/"' in page


def test_a_missing_dataset_answers_the_same_page_as_a_hidden_one(client, bob, private_dataset):
    client.force_login(bob)
    pages = []
    for pk in (private_dataset.pk, private_dataset.pk + 999):
        page = client.get(f"/catalog/datasets/{pk}/").content.decode()
        pages.append(page.replace(f"/catalog/datasets/{pk}/", "/catalog/datasets/N/"))
    assert pages[0] == pages[1]


def test_the_request_form_is_prefilled_from_the_link(client, bob):
    client.force_login(bob)
    response = client.get("/catalog/access-requests/new/?dataset=/catalog/datasets/42/")
    assert response.status_code == 200
    assert 'value="/catalog/datasets/42/"' in response.content.decode()


def test_other_missing_pages_offer_only_the_way_home(client, bob):
    client.force_login(bob)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Ask for access" not in response.content.decode()

"""Lineage edges in the data-officer admin: scoped by the lineage rule, edited through the services."""

import pytest
from django.urls import reverse

from apps.catalog.models import Dataset
from apps.core.testing import fixtures as cast_fixtures
from apps.lineage.models import Edge, Provenance
from apps.lineage.services import edge_draw, edge_record

pytestmark = pytest.mark.django_db

pam = cast_fixtures.pam  # Data Platform's data officer

NO_COLUMNS = {"columns-TOTAL_FORMS": "0", "columns-INITIAL_FORMS": "0"}


@pytest.fixture
def drawn(private_dataset, internal_dataset, alice):
    return edge_draw(source=internal_dataset, target=private_dataset, by=alice, transformation="join")


@pytest.fixture
def platform_edge(platform_team, bob):
    from apps.core.history import acting_user

    with acting_user(bob):
        raw = Dataset.objects.create(
            team=platform_team, name="Raw events", slug="raw-events", visibility="private"
        )
        clean = Dataset.objects.create(
            team=platform_team, name="Clean events", slug="clean-events", visibility="private"
        )
    return edge_draw(source=raw, target=clean, by=bob, transformation="dedupe")


def change(client, edge, **fields):
    data = {"transformation": edge.transformation, "description": edge.description, **NO_COLUMNS, **fields}
    return client.post(reverse("admin:lineage_edge_change", args=[edge.pk]), data)


def test_each_officer_lists_only_the_edges_she_may_manage(client, olivia, pam, drawn, platform_edge):
    client.force_login(olivia)
    body = client.get(reverse("admin:lineage_edge_changelist")).content.decode()
    assert "join" in body and "dedupe" not in body
    assert client.get(reverse("admin:lineage_edge_change", args=[platform_edge.pk])).status_code in (302, 404)

    client.force_login(pam)  # cannot see Fraud's private dataset at the edge's end
    body = client.get(reverse("admin:lineage_edge_changelist")).content.decode()
    assert "dedupe" in body and "join" not in body
    assert client.get(reverse("admin:lineage_edge_history", args=[drawn.pk])).status_code == 404


def test_a_drawn_edge_is_edited_and_reverted_with_its_history(client, olivia, drawn):
    client.force_login(olivia)
    response = change(client, drawn, description="Merchants joined to card payments")
    assert response.status_code == 302, response.content.decode()[:2000]
    drawn.refresh_from_db()
    assert drawn.description == "Merchants joined to card payments"
    assert drawn.history.first().history_user == olivia

    first = drawn.history.order_by("history_date").first()
    url = reverse("admin:lineage_edge_simple_history", args=[drawn.pk, first.history_id])
    response = client.post(url, {"transformation": "join", "description": "", **NO_COLUMNS})
    assert response.status_code == 302
    drawn.refresh_from_db()
    assert drawn.description == ""


def test_a_recorded_edge_is_read_only_and_a_drawn_one_can_be_removed(
    client, olivia, drawn, private_dataset, internal_dataset
):
    recorded = edge_record(
        source=private_dataset, target=internal_dataset, provenance=Provenance.INGESTED, producer="airflow"
    )
    client.force_login(olivia)
    assert change(client, recorded, description="mine now").status_code == 403
    assert (
        client.post(reverse("admin:lineage_edge_delete", args=[recorded.pk]), {"post": "yes"}).status_code
        == 403
    )

    response = client.post(reverse("admin:lineage_edge_delete", args=[drawn.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Edge.objects.filter(pk=drawn.pk).exists()
    assert Edge.objects.filter(pk=recorded.pk).exists()

"""The lineage page: graph, depth control, impact, and drawing or removing edges."""

import pytest
from django.urls import reverse

from apps.lineage.models import Edge, Provenance
from apps.lineage.services import edge_draw, edge_record

pytestmark = pytest.mark.django_db


def page(dataset, **query):
    url = reverse("lineage:asset", kwargs={"label": "catalog.dataset", "pk": dataset.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_lineage_page_draws_the_graph_with_the_dataset_header_and_impact(client, pipeline, alice, olivia):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean_transactions")
    client.force_login(alice)
    response = client.get(page(raw, depth=3))
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/cytoscape-3.34.4/cytoscape.min.js" in html
    assert "vendor/cytoscape-dagre-4.0.1/cytoscape-dagre.min.js" in html
    assert 'id="lineage-data"' in html
    assert "clean_transactions" in html
    assert 'aria-current="true">3</a>' in html
    assert "nav-link active" in html and "Lineage" in html  # the dataset's tabs, Lineage selected
    assert "Draw an edge" in html
    assert "People to notify" in html


def test_the_dataset_page_links_to_its_lineage_tab(client, pipeline, alice):
    client.force_login(alice)
    html = client.get(pipeline["Raw transactions"].get_absolute_url()).content.decode()
    assert page(pipeline["Raw transactions"]) in html


def test_the_outsider_gets_404_on_a_private_assets_lineage_and_routes(client, pipeline, alice, bob):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge = edge_draw(source=raw, target=clean, by=alice)
    client.force_login(bob)
    assert client.get(page(raw)).status_code == 404
    draw = reverse("lineage:edge_draw", kwargs={"label": "catalog.dataset", "pk": raw.pk})
    assert (
        client.post(draw, {"other": f"catalog.dataset:{clean.pk}", "direction": "downstream"}).status_code
        == 404
    )
    assert client.post(reverse("lineage:edge_delete", kwargs={"pk": edge.pk})).status_code == 404
    assert Edge.objects.filter(pk=edge.pk).exists()
    assert client.get("/lineage/auth.user/1/").status_code == 404


def test_a_member_draws_an_edge_from_the_page_and_removes_it(client, pipeline, alice):
    raw, features = pipeline["Raw transactions"], pipeline["Fraud features"]
    client.force_login(alice)
    draw = reverse("lineage:edge_draw", kwargs={"label": "catalog.dataset", "pk": features.pk})
    response = client.post(
        draw, {"other": f"catalog.dataset:{raw.pk}", "direction": "upstream", "transformation": "shortcut"}
    )
    assert response.status_code == 302
    edge = Edge.objects.get()
    assert (edge.source_id, edge.target_id, edge.provenance, edge.created_by) == (
        raw.pk,
        features.pk,
        "user",
        alice,
    )
    html = client.get(page(features)).content.decode()
    assert reverse("lineage:edge_delete", kwargs={"pk": edge.pk}) in html
    response = client.post(reverse("lineage:edge_delete", kwargs={"pk": edge.pk}), {"next": page(features)})
    assert response.status_code == 302 and response["Location"] == page(features)
    assert not Edge.objects.exists()


def test_a_bad_draw_says_what_to_fix_and_creates_nothing(client, pipeline, alice):
    raw = pipeline["Raw transactions"]
    client.force_login(alice)
    draw = reverse("lineage:edge_draw", kwargs={"label": "catalog.dataset", "pk": raw.pk})
    response = client.post(draw, {"other": "catalog.dataset:999999", "direction": "sideways"}, follow=True)
    assert response.status_code == 200
    assert "Something needs fixing" in response.content.decode()
    assert not Edge.objects.exists()


def test_the_analyst_sees_the_graph_but_no_form_and_gets_403_on_drawing(client, pipeline, ann):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    client.force_login(ann)
    html = client.get(page(raw)).content.decode()
    assert "Draw an edge" not in html
    draw = reverse("lineage:edge_draw", kwargs={"label": "catalog.dataset", "pk": raw.pk})
    assert (
        client.post(draw, {"other": f"catalog.dataset:{clean.pk}", "direction": "downstream"}).status_code
        == 403
    )
    assert not Edge.objects.exists()


def test_an_ingested_edge_has_no_remove_button_and_cannot_be_removed(client, pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge = edge_record(source=raw, target=clean, provenance=Provenance.INGESTED)
    client.force_login(alice)
    assert (
        reverse("lineage:edge_delete", kwargs={"pk": edge.pk}) not in client.get(page(raw)).content.decode()
    )
    client.post(reverse("lineage:edge_delete", kwargs={"pk": edge.pk}))
    assert Edge.objects.filter(pk=edge.pk).exists()


def test_the_page_runs_a_bounded_number_of_queries(client, pipeline, alice, fraud_team, warm_content_types):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.lineage.tests.conftest import make_dataset

    raw = pipeline["Raw transactions"]
    client.force_login(alice)
    edge_draw(source=raw, target=pipeline["Cleaned transactions"], by=alice)
    with CaptureQueriesContext(connection) as small:
        client.get(page(raw))
    for n in range(8):
        edge_draw(source=raw, target=make_dataset(fraud_team, f"Out {n}", by=alice), by=alice)
    with CaptureQueriesContext(connection) as large:
        client.get(page(raw))
    assert len(large.captured_queries) == len(small.captured_queries)

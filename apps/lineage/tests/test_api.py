"""/api/v1/lineage/graph/, /impact/ and /edges/: restricted reads, drawn-edge CRUD, errors per field."""

import pytest
from rest_framework.test import APIClient

from apps.lineage.models import Edge, Provenance
from apps.lineage.services import edge_draw, edge_record

pytestmark = pytest.mark.django_db

EDGES = "/api/v1/lineage/edges/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def key(dataset) -> str:
    return f"catalog.dataset:{dataset.pk}"


def test_the_graph_answers_nodes_and_edges_for_a_visible_asset(pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean")
    body = client_for(alice).get("/api/v1/lineage/graph/", {"asset": key(clean), "depth": 3}).json()
    assert body["root"] == key(clean)
    assert body["depth"] == 3
    assert [(n["name"], n["level"], n["team"]) for n in body["nodes"]] == [
        ("Raw transactions", -1, "Fraud Analytics"), ("Cleaned transactions", 0, "Fraud Analytics"),
    ]  # fmt: skip
    assert body["nodes"][0]["lineage_url"] == f"/lineage/catalog.dataset/{raw.pk}/"
    assert body["edges"][0]["source"] == key(raw)


def test_the_graph_of_a_private_asset_is_a_404_for_the_outsider_like_a_missing_one(pipeline, bob):
    client = client_for(bob)
    hidden = client.get("/api/v1/lineage/graph/", {"asset": key(pipeline["Raw transactions"])})
    missing = client.get("/api/v1/lineage/graph/", {"asset": "catalog.dataset:999999"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert (
        client.get("/api/v1/lineage/impact/", {"asset": key(pipeline["Raw transactions"])}).status_code == 404
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "asset"),
        ({"asset": "dataset"}, "asset"),
        ({"asset": "auth.user:1"}, "asset"),
        ({"asset": "catalog.dataset:x"}, "asset"),
        ({"asset": "catalog.dataset:1", "depth": "0"}, "depth"),
        ({"asset": "catalog.dataset:1", "depth": "6"}, "depth"),
        ({"asset": "catalog.dataset:1", "depth": "two"}, "depth"),
    ],
)
def test_a_malformed_graph_query_is_a_400_naming_the_field(alice, query, field):
    response = client_for(alice).get("/api/v1/lineage/graph/", query)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_impact_lists_downstream_with_owners(pipeline, alice, olivia):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean")
    body = client_for(alice).get("/api/v1/lineage/impact/", {"asset": key(raw)}).json()
    assert body["count"] == 1
    assert body["groups"][0]["items"][0]["owners"] == [{"username": "olivia", "name": "olivia"}]


def test_a_member_draws_edits_and_removes_an_edge(pipeline, alice):
    client = client_for(alice)
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    payload = {
        "source": key(raw), "target": key(clean), "transformation": "dedupe",
        "columns": [{"source": "id", "target": "id"}],
    }  # fmt: skip
    response = client.post(EDGES, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["provenance"], body["created_by"], body["source"]) == ("user", "alice", key(raw))
    assert body["columns"] == [{"source": "id", "target": "id", "transformation": ""}]
    again = client.post(EDGES, payload, format="json")
    assert again.status_code == 400
    assert "target" in again.json()["fields"]
    detail = f"{EDGES}{body['id']}/"
    assert client.patch(detail, {"transformation": "deduplicate"}, format="json").json()[
        "transformation"
    ] == ("deduplicate")
    assert client.patch(detail, {"source": key(clean)}, format="json").status_code == 400
    assert client.delete(detail).status_code == 204
    assert not Edge.objects.exists()


def test_an_ingested_edge_cannot_be_removed_through_the_api(pipeline, alice):
    edge = edge_record(
        source=pipeline["Raw transactions"],
        target=pipeline["Cleaned transactions"],
        provenance=Provenance.INGESTED,
    )
    response = client_for(alice).delete(f"{EDGES}{edge.pk}/")
    assert response.status_code == 400
    assert "producer" in response.json()["fields"]["non_field_errors"][0]
    assert Edge.objects.filter(pk=edge.pk).exists()


def test_the_analyst_sees_edges_but_gets_403_on_draw_change_and_remove(pipeline, ann, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    edge = edge_draw(source=raw, target=clean, by=alice)
    client = client_for(ann)
    assert client.get(f"{EDGES}{edge.pk}/").status_code == 200
    assert client.post(EDGES, {"source": key(clean), "target": key(raw)}, format="json").status_code == 403
    assert client.patch(f"{EDGES}{edge.pk}/", {"transformation": "x"}, format="json").status_code == 403
    assert client.delete(f"{EDGES}{edge.pk}/").status_code == 403
    assert Edge.objects.filter(pk=edge.pk, transformation="").exists()


def test_the_outsider_never_sees_edges_between_private_assets(pipeline, alice, bob, platform_dataset):
    raw, clean, report = (
        pipeline["Raw transactions"],
        pipeline["Cleaned transactions"],
        pipeline["Fraud report"],
    )
    private_edge = edge_draw(source=raw, target=clean, by=alice, transformation="secret")
    half_hidden = edge_record(source=clean, target=report, provenance=Provenance.INGESTED)
    mine = edge_draw(source=report, target=platform_dataset, by=bob)
    client = client_for(bob)
    body = client.get(EDGES).json()
    assert [e["id"] for e in body["results"]] == [mine.pk]
    assert client.get(EDGES, {"asset": key(raw)}).json()["count"] == 0
    for edge in (private_edge, half_hidden):
        assert client.get(f"{EDGES}{edge.pk}/").status_code == 404
        assert client.delete(f"{EDGES}{edge.pk}/").status_code == 404
    response = client.post(EDGES, {"source": key(raw), "target": key(platform_dataset)}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["source"] == [f"No asset {key(raw)} that you can see."]


def test_the_edge_list_runs_a_fixed_number_of_queries(pipeline, alice, fraud_team, warm_content_types,
                                                      django_assert_num_queries):  # fmt: skip
    from apps.lineage.tests.conftest import make_dataset

    raw = pipeline["Raw transactions"]
    for n in range(6):
        target = make_dataset(fraud_team, f"Out {n}", by=alice)
        edge_draw(source=raw, target=target, by=alice, columns=[("a", "b", "")])
    client = client_for(alice)
    # count, page of edges (with users and content types), their column edges
    with django_assert_num_queries(3):
        assert client.get(EDGES).json()["count"] == 6
    with django_assert_num_queries(4):  # + the asset named in the filter
        assert client.get(EDGES, {"asset": key(raw), "provenance": "user"}).json()["count"] == 6

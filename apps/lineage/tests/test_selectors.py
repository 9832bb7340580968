"""The graph walk: depth, direction, hidden assets never named, one query per level."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.lineage.models import Provenance
from apps.lineage.selectors import graph_as_json, impact_as_json, lineage_graph, lineage_impact
from apps.lineage.services import edge_record
from apps.lineage.tests.conftest import make_dataset

pytestmark = pytest.mark.django_db


def chain(pipeline):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    features, report = pipeline["Fraud features"], pipeline["Fraud report"]
    edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean_transactions")
    edge_record(
        source=clean, target=features, provenance=Provenance.INGESTED, transformation="build_features"
    )
    edge_record(
        source=clean, target=report, provenance=Provenance.JOB, transformation="report",
        columns=[("amount", "total", "AGGREGATION: sum")],
    )  # fmt: skip
    return raw, clean, features, report


def names(data):
    return {node["name"]: node["level"] for node in data["nodes"]}


def test_the_graph_goes_upstream_left_and_downstream_right_to_the_depth_asked(pipeline, alice):
    raw, clean, features, report = chain(pipeline)
    data = graph_as_json(lineage_graph(user=alice, root=clean, depth=1))
    assert names(data) == {
        "Raw transactions": -1, "Cleaned transactions": 0, "Fraud features": 1, "Fraud report": 1,
    }  # fmt: skip
    assert {(e["transformation"], e["provenance"]) for e in data["edges"]} == {
        ("clean_transactions", "ingested"), ("build_features", "ingested"), ("report", "job"),
    }  # fmt: skip
    report_edge = next(e for e in data["edges"] if e["transformation"] == "report")
    assert report_edge["columns"] == [
        {"source": "amount", "target": "total", "transformation": "AGGREGATION: sum"}
    ]
    from_raw = graph_as_json(lineage_graph(user=alice, root=raw, depth=1))
    assert names(from_raw) == {"Raw transactions": 0, "Cleaned transactions": 1}
    assert names(graph_as_json(lineage_graph(user=alice, root=raw, depth=2)))["Fraud features"] == 2


def test_the_outsider_sees_only_some_hidden_assets_never_their_names(pipeline, bob, platform_dataset):
    raw, clean, features, report = chain(pipeline)
    edge_record(source=report, target=platform_dataset, provenance=Provenance.INGESTED, transformation="copy")
    data = graph_as_json(lineage_graph(user=bob, root=report, depth=5))
    assert names(data) == {"Fraud report": 0, "Merchant registry": 1}
    root = next(node for node in data["nodes"] if node["root"])
    assert root["hidden_upstream"] is True
    assert root["hidden_downstream"] is False
    text = json.dumps(data)
    secrets = ["Cleaned transactions", "Raw transactions", "clean_transactions", '"transformation": "report"']
    for secret in [*secrets, f'catalog.dataset:{clean.pk}"']:
        assert secret not in text


def test_the_walk_stops_at_a_hidden_asset_even_if_visible_ones_lie_beyond(pipeline, bob, platform_team):
    raw, clean, features, report = chain(pipeline)
    beyond = make_dataset(platform_team, "Beyond", by=bob, visibility="internal")
    edge_record(source=features, target=beyond, provenance=Provenance.INGESTED)
    data = graph_as_json(lineage_graph(user=bob, root=beyond, depth=5))
    assert names(data) == {"Beyond": 0}
    assert data["nodes"][0]["hidden_upstream"] is True
    assert data["edges"] == []


def test_the_graph_runs_one_query_per_level_whatever_its_width(
    pipeline, alice, fraud_team, warm_content_types, django_assert_num_queries
):
    raw, clean, features, report = chain(pipeline)
    # upstream: 1 level queried (raw, then nothing); downstream: 2 levels; datasets loaded once; columns once.
    with django_assert_num_queries(2 + 2 + 1 + 1):
        lineage_graph(user=alice, root=clean, depth=2)
    for n in range(12):
        wide = make_dataset(fraud_team, f"Wide {n}", by=alice)
        edge_record(source=features, target=wide, provenance=Provenance.INGESTED, transformation=f"w{n}")
        edge_record(source=raw, target=wide, provenance=Provenance.INGESTED, transformation=f"r{n}")
    with CaptureQueriesContext(connection) as wider:
        graph = lineage_graph(user=alice, root=clean, depth=2)
    assert len(graph.levels) == 4 + 12
    assert len(wider.captured_queries) == 2 + 2 + 1 + 1


def test_impact_lists_everything_downstream_by_type_with_owners_to_notify(pipeline, alice, olivia):
    raw, clean, features, report = chain(pipeline)
    impact = impact_as_json(lineage_impact(user=alice, root=raw))
    assert impact["count"] == 3
    assert impact["hidden"] is False
    [datasets] = impact["groups"]
    assert datasets["type_label"] == "Dataset"
    assert [(i["name"], i["level"]) for i in datasets["items"]] == [
        ("Cleaned transactions", 1), ("Fraud features", 2), ("Fraud report", 2),
    ]  # fmt: skip
    assert datasets["items"][0]["owners"] == [{"username": "olivia", "name": "olivia"}]
    assert impact["teams"] == ["Fraud Analytics"]
    assert [p["username"] for p in impact["notify"]] == ["olivia"]


def test_impact_for_the_outsider_says_only_that_some_downstream_assets_are_hidden(
    pipeline, bob, platform_dataset
):
    raw, clean, features, report = chain(pipeline)
    edge_record(source=platform_dataset, target=clean, provenance=Provenance.INGESTED)
    impact = impact_as_json(lineage_impact(user=bob, root=platform_dataset))
    assert (impact["count"], impact["groups"], impact["hidden"]) == (0, [], True)

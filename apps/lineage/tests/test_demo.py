"""The demo's lineage: the fraud pipeline with column edges, seeded once."""

import pytest

from apps.catalog.models import Dataset
from apps.demo.services import demo_seed
from apps.lineage.models import ColumnEdge, Edge
from apps.lineage.selectors import graph_as_json, lineage_graph

pytestmark = pytest.mark.django_db


def test_the_demo_draws_the_fraud_pipeline_once():
    first = demo_seed()
    assert first["lineage edges"] == 4
    edges, columns = Edge.objects.count(), ColumnEdge.objects.count()
    assert demo_seed() == {}
    assert (Edge.objects.count(), ColumnEdge.objects.count()) == (edges, columns)

    cleaned = Dataset.objects.get(name="Cleaned card transactions")
    from django.contrib.auth import get_user_model

    olivia = get_user_model().objects.get(username="olivia")
    data = graph_as_json(lineage_graph(user=olivia, root=cleaned, depth=2))
    levels = {node["name"]: node["level"] for node in data["nodes"]}
    assert levels == {
        "Chargeback labels": -2, "Card transactions": -1, "Cleaned card transactions": 0, "Fraud features": 1,
    }  # fmt: skip
    assert {e["transformation"] for e in data["edges"]} == {
        "clean_transactions",
        "build_fraud_features",
        "label_join",
    }

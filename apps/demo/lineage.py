"""Demo lineage: the fraud team's pipeline, card transactions → cleaned → features, with column edges.

Idempotent: datasets are created only when missing, edges are recorded with the
provenance-aware upsert, and the one edge a person drew is drawn only once.
"""

from __future__ import annotations

import contextlib
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.catalog.models import Dataset
from apps.catalog.services import dataset_create
from apps.lineage.models import Edge, Provenance
from apps.lineage.services import edge_draw, edge_record

TEAM = "Fraud Analytics"
PIPELINE_DATASETS = (
    (
        "Cleaned card transactions",
        "Card transactions deduplicated by authorisation id, amounts converted to EUR, test cards removed. "
        "Rebuilt nightly by `clean_transactions`.",
    ),
    (
        "Fraud features",
        "Per-card features for the fraud model: 7-day spend, merchant diversity, night-time share, and the "
        "chargeback label. Built nightly by `build_fraud_features`.",
    ),
)
PRODUCER = "airflow://fraud-analytics/nightly"
# (source, target, transformation, [(source column, target column, transformation)])
EDGES = (
    (
        "Card transactions",
        "Cleaned card transactions",
        "clean_transactions",
        [
            ("authorisation_id", "authorisation_id", "IDENTITY"),
            ("card_token", "card_token", "IDENTITY"),
            ("amount", "amount_eur", "TRANSFORMATION: currency conversion"),
            ("currency", "amount_eur", "INDIRECT: rate lookup"),
        ],
    ),
    (
        "Cleaned card transactions",
        "Fraud features",
        "build_fraud_features",
        [
            ("card_token", "card_token", "IDENTITY"),
            ("amount_eur", "spend_7d_eur", "AGGREGATION: sum over 7 days"),
            ("merchant_id", "merchant_diversity_7d", "AGGREGATION: count distinct"),
        ],
    ),
    (
        "Chargeback labels",
        "Fraud features",
        "build_fraud_features",
        [("is_confirmed_fraud", "label", "IDENTITY")],
    ),
)


def demo_lineage_ensure(*, teams: dict, by) -> dict[str, int]:
    """The fraud pipeline's datasets and edges; returns what was created (empty the second time)."""
    created: Counter[str] = Counter()
    team = teams[TEAM]
    datasets = {dataset.name: dataset for dataset in Dataset.objects.filter(team=team)}
    for name, description in PIPELINE_DATASETS:
        if name not in datasets:
            datasets[name] = dataset_create(
                team=team, by=by, name=name, visibility="private", domain="payments", description=description
            )
            created["datasets"] += 1
    before = Edge.objects.count()
    for source, target, transformation, columns in EDGES:
        if source in datasets and target in datasets:
            edge_record(
                source=datasets[source],
                target=datasets[target],
                provenance=Provenance.JOB,
                transformation=transformation,
                by=by,
                producer=PRODUCER,
                facets={"schedule": "nightly"},
                columns=columns,
            )
    alice = get_user_model().objects.filter(username="alice").first()
    labels, transactions = datasets.get("Chargeback labels"), datasets.get("Card transactions")
    if alice and labels and transactions:
        with contextlib.suppress(ValidationError):  # drawn by an earlier seed: keep it as it is
            edge_draw(
                source=labels,
                target=transactions,
                by=alice,
                transformation="label_join",
                description="`is_fraud` comes from chargebacks confirmed within 90 days.",
            )
    if Edge.objects.count() > before:
        created["lineage edges"] += Edge.objects.count() - before
    return dict(created)

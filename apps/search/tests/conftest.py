"""A small catalog for search tests: Fraud's private and internal datasets with columns, a term, tags."""

from __future__ import annotations

import pytest

from apps.catalog.models import Column
from apps.catalog.services import dataset_create
from apps.catalog.services.glossary import dataset_tags_set, dataset_terms_set, glossary_term_create


@pytest.fixture
def catalog(fraud_team, platform_team, alice, bob):
    """Fraud: a private "Card transactions" (columns, tag pii, term Chargeback) and an internal
    "Merchant list"; Data Platform: a private "Warehouse transactions" of bob's."""
    chargeback = glossary_term_create(
        team=fraud_team, by=alice, name="Chargeback", definition="A payment reversed by the card issuer."
    )
    cards = dataset_create(
        team=fraud_team,
        by=alice,
        name="Card transactions",
        visibility="private",
        description="Every card payment with its fraud label, from the EU issuers.",
    )
    dataset_tags_set(dataset=cards, by=alice, names=["pii", "finance"])
    dataset_terms_set(dataset=cards, by=alice, terms=[chargeback])
    Column.objects.create(dataset=cards, name="transaction_amount", data_type="double", position=1)
    Column.objects.create(
        dataset=cards, name="chargeback_flag", data_type="boolean", position=2, term=chargeback
    )
    merchants = dataset_create(
        team=fraud_team,
        by=alice,
        name="Merchant list",
        visibility="internal",
        description="Merchants and their categories; joins card transactions by merchant id.",
    )
    dataset_tags_set(dataset=merchants, by=alice, names=["finance"])
    Column.objects.create(dataset=merchants, name="merchant_id", data_type="bigint", position=1)
    warehouse = dataset_create(
        team=platform_team,
        by=bob,
        name="Warehouse transactions",
        visibility="private",
        description="Stock moves.",
    )
    return {"cards": cards, "merchants": merchants, "warehouse": warehouse, "chargeback": chargeback}

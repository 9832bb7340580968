"""Fixtures for community tests: fresh rate-limit counters, and a few discussions to build on."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with empty posting counters (they live in the cache)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org_category(root):
    from apps.community.services import category_create

    return category_create(by=root, name="Data help desk", description="Ask anything about our data.")


@pytest.fixture
def fraud_category(olivia, fraud_team):
    from apps.community.services import category_create

    return category_create(by=olivia, name="Fraud team room", team=fraud_team, visibility="private")


@pytest.fixture
def private_thread(alice, private_dataset):
    """A question on Fraud's private dataset."""
    from apps.community.services import thread_create

    return thread_create(
        by=alice,
        title="Why do chargebacks spike on Mondays?",
        body="The weekly chargeback curve on card transactions jumps every Monday.",
        kind="question",
        asset=private_dataset,
    )


@pytest.fixture
def internal_thread(alice, internal_dataset):
    """A general discussion on Fraud's internal dataset."""
    from apps.community.services import thread_create

    return thread_create(
        by=alice,
        title="Merchant list refresh cadence",
        body="How often is the merchant list refreshed?",
        asset=internal_dataset,
    )

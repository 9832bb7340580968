"""Lineage fixtures: a small pipeline of Fraud Analytics datasets and one of Data Platform."""

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.catalog.models import Dataset
from apps.core.history import acting_user


def make_dataset(team, name, *, by, visibility="private"):
    from django.utils.text import slugify

    with acting_user(by):
        return Dataset.objects.create(team=team, name=name, slug=slugify(name), visibility=visibility)


@pytest.fixture
def pipeline(fraud_team, alice):
    """raw → cleaned → features (private, Fraud Analytics), and cleaned → report (internal)."""
    return {
        name: make_dataset(fraud_team, name, by=alice, visibility=visibility)
        for name, visibility in [
            ("Raw transactions", "private"),
            ("Cleaned transactions", "private"),
            ("Fraud features", "private"),
            ("Fraud report", "internal"),
        ]
    }


@pytest.fixture
def platform_dataset(platform_team, bob):
    return make_dataset(platform_team, "Merchant registry", by=bob, visibility="internal")


@pytest.fixture
def warm_content_types():
    """ContentType lookups are cached per process; fill the cache so query counts are stable."""
    from apps.core.assets import asset_types

    ContentType.objects.clear_cache()
    for registered in asset_types():
        ContentType.objects.get_for_model(registered.model)

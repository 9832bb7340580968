"""The demo's sources: a deterministic SQLite shop synced into datasets, scikit-learn files as versions."""

import hashlib

import pytest

from apps.catalog.models import Dataset, DataSource
from apps.demo.catalog_sources import demo_sources_ensure, shop_database_write

pytestmark = pytest.mark.django_db


def test_the_shop_database_is_the_same_bytes_every_time(tmp_path):
    shop_database_write(tmp_path / "a.sqlite3")
    shop_database_write(tmp_path / "b.sqlite3")
    digest = [
        hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in ("a.sqlite3", "b.sqlite3")
    ]
    assert digest[0] == digest[1]


def test_demo_sources_sync_the_shop_and_version_the_sklearn_sets_once(
    settings, tmp_path, root, platform_team, fraud_team, bob, alice
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "data")]
    teams = {"Data Platform": platform_team, "Fraud Analytics": fraud_team}
    created = demo_sources_ensure(teams=teams, by=root)
    shop = DataSource.objects.get(name="Shop database")
    assert sorted(shop.datasets.values_list("name", flat=True)) == ["customers", "orders", "payments"]
    iris = Dataset.objects.get(team=platform_team, name="Iris")
    assert list(iris.versions.order_by("number").values_list("row_count", flat=True)) == [90, 150, 150]
    assert iris.latest_version.schema_changes["added"] == ["species"]
    assert iris.latest_version.created_by == root  # the demo admin authors the demo
    assert created["dataset versions"] == 3 + 3 * 3
    assert demo_sources_ensure(teams=teams, by=root) == {}

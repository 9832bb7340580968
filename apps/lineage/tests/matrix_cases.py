"""Cross-team cases for lineage routes: Fraud Analytics' private lineage stays invisible to bob."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, matrix_case, private_asset
from apps.lineage.models import Edge, Provenance
from apps.lineage.services import edge_draw, edge_record


def _private_pair(world):
    from apps.catalog.models import Dataset
    from apps.core.history import acting_user

    first = world.private_dataset
    with acting_user(world.alice):
        second, _ = Dataset.objects.get_or_create(
            team=world.fraud_team, slug="chargeback-ledger", defaults={"name": "Chargeback ledger"}
        )
    return first, second


def _private_edge(world):
    first, second = _private_pair(world)
    edge = Edge.objects.filter(provenance=Provenance.USER, transformation="join_chargebacks_secretly").first()
    if edge is None:
        edge = edge_draw(
            source=first, target=second, by=world.alice, transformation="join_chargebacks_secretly"
        )
    edge_record(
        source=first,
        target=second,
        provenance=Provenance.INGESTED,
        transformation="nightly_chargeback_sync",
        columns=[("card_token", "card_token_hashed", "MASKED")],
    )
    return edge


@private_asset("lineage_edge")
def private_lineage_edge(world) -> list[str]:
    edge = _private_edge(world)
    return ["join_chargebacks_secretly", "nightly_chargeback_sync", "card_token_hashed", "Chargeback ledger",
            f"/api/v1/lineage/edges/{edge.pk}/"]  # fmt: skip


@matrix_case("lineage:asset", "lineage:edge_draw")
def private_asset_lineage_page(world):
    dataset = world.private_dataset
    return Private(kwargs={"label": "catalog.dataset", "pk": dataset.pk}, obj=dataset)


@matrix_case("lineage:edge_delete", "lineage-edge-detail")
def private_edge_routes(world):
    edge = _private_edge(world)
    return Private(kwargs={"pk": edge.pk}, obj=edge)


@matrix_case("lineage-graph", "lineage-impact")
def private_asset_graph_api(world):
    dataset = world.private_dataset
    return Private(kwargs={}, query={"asset": f"catalog.dataset:{dataset.pk}", "depth": "3"})


@matrix_case("lineage-edge-list")
def edge_list(world):
    dataset = world.private_dataset
    key = f"catalog.dataset:{dataset.pk}"
    return Listing(queries=[{}, {"asset": key}, {"provenance": "user"}, {"provenance": "ingested"}])


@matrix_case("lineage-edge-list")
def edge_draw_between_private_assets(world):
    first, second = _private_pair(world)
    data = {"source": f"catalog.dataset:{first.pk}", "target": f"catalog.dataset:{second.pk}"}
    return Listing(method="POST", data=data, status=400)


# --- the OpenLineage receiver (apps.catalog): bob's events never reveal Fraud's datasets -----------
def _event_naming(dataset) -> dict:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-03-01T02:00:00Z",
        "producer": "https://example.org/producer",
        "run": {"runId": "8d4e1c1e-6f0c-4a53-9d7b-2f1f0f6f9a11"},
        "job": {"namespace": "airflow", "name": "bob_reads"},
        "inputs": [{"namespace": dataset.namespace, "name": dataset.qualified_name}],
        "outputs": [{"namespace": "s3://platform", "name": "bob/output"}],
    }


def _with_openlineage_identity(world):
    from apps.catalog.models import Dataset

    dataset = world.private_dataset
    Dataset.objects.filter(pk=dataset.pk).update(
        namespace="postgres://fraud-db", qualified_name="cards.ledger"
    )
    dataset.refresh_from_db()
    return dataset


@matrix_case("openlineage-receive")
def openlineage_event_naming_a_private_dataset(world):
    # Accepted the same way whether or not the private dataset exists; mapping skips what bob cannot see.
    return Listing(method="POST", data=_event_naming(_with_openlineage_identity(world)), status=201)


@matrix_case("openlineage-receive")
def openlineage_event_into_another_team(world):
    # bob may not choose Fraud Analytics as the owning team: refused before anything is stored.
    data = _event_naming(_with_openlineage_identity(world))
    return Listing(method="POST", queries=[{"team": world.fraud_team.slug}], data=data, status=400)


# --- the admin site, as pam (data officer of Data Platform) ----------------------------------------
ADMIN_STATUSES = frozenset({302, 403, 404})


@matrix_case("admin:lineage_edge_changelist")
def admin_edge_changelist(world):
    return Listing(client="pam", queries=[{}, {"q": "chargeback"}, {"provenance__exact": "user"}])


@matrix_case("admin:lineage_edge_add")
def admin_edge_add(world):
    return Listing(client="pam", status=403)  # edges are drawn on the lineage pages


@matrix_case("admin:lineage_edge_change", "admin:lineage_edge_delete", "admin:lineage_edge_history")
def admin_private_edge_pages(world):
    edge = _private_edge(world)
    return Private(kwargs={"object_id": edge.pk}, obj=edge, client="pam", statuses=ADMIN_STATUSES)


@matrix_case("admin:lineage_edge_simple_history")
def admin_private_edge_revert(world):
    edge = _private_edge(world)
    record = edge.history.first()
    return Private(
        kwargs={}, args=(edge.pk, record.history_id), obj=edge, client="pam", statuses=ADMIN_STATUSES
    )

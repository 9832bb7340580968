"""Recording, drawing and removing edges: idempotent ingestion that never touches what people drew."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.lineage.models import ColumnEdge, Edge, Provenance
from apps.lineage.services import edge_delete, edge_draw, edge_record, edge_update

pytestmark = pytest.mark.django_db


def test_recording_the_same_edge_twice_keeps_one_edge_and_adds_missing_columns(pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    first = edge_record(
        source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean", by=alice,
        columns=[("amount", "amount_eur", "IDENTITY")],
    )  # fmt: skip
    again = edge_record(
        source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean", by=alice,
        facets={"run": "2"}, columns=[("amount", "amount_eur", "IDENTITY"), ("ts", "day", "TRANSFORMATION")],
    )  # fmt: skip
    assert again.pk == first.pk
    assert Edge.objects.count() == 1
    assert again.facets == {"run": "2"}
    assert sorted(ColumnEdge.objects.values_list("source_column", "target_column")) == [
        ("amount", "amount_eur"),
        ("ts", "day"),
    ]
    assert first.history.count() == 2  # created, then facets refreshed
    assert first.history.first().history_user == alice


def test_ingestion_never_replaces_or_removes_an_edge_a_person_drew(pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    drawn = edge_draw(source=raw, target=clean, by=alice, transformation="clean", description="by hand")
    ingested = edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean")
    edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="clean")
    assert ingested.pk != drawn.pk
    drawn.refresh_from_db()
    assert (drawn.provenance, drawn.description, drawn.created_by) == (Provenance.USER, "by hand", alice)
    assert Edge.objects.filter(provenance=Provenance.USER).count() == 1
    assert Edge.objects.count() == 2


def test_an_analyst_may_not_draw_an_edge(pipeline, ann):
    with pytest.raises(PermissionDenied):
        edge_draw(source=pipeline["Raw transactions"], target=pipeline["Fraud features"], by=ann)
    assert not Edge.objects.exists()


def test_an_outsider_may_draw_from_a_visible_internal_dataset_into_their_own(pipeline, platform_dataset, bob):
    edge = edge_draw(source=pipeline["Fraud report"], target=platform_dataset, by=bob, transformation="copy")
    assert edge.created_by == bob


def test_an_outsider_cannot_draw_from_a_private_dataset(pipeline, platform_dataset, bob):
    with pytest.raises(ValidationError, match="visible"):
        edge_draw(source=pipeline["Raw transactions"], target=platform_dataset, by=bob)


def test_an_asset_cannot_feed_itself_and_a_drawn_edge_is_drawn_once(pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    with pytest.raises(ValidationError, match="own upstream"):
        edge_draw(source=raw, target=raw, by=alice)
    edge_draw(source=raw, target=clean, by=alice, transformation="clean")
    with pytest.raises(ValidationError, match="already been drawn"):
        edge_draw(source=raw, target=clean, by=alice, transformation="clean")


def test_only_drawn_edges_can_be_edited_or_removed_and_removal_is_in_history(pipeline, alice):
    raw, clean = pipeline["Raw transactions"], pipeline["Cleaned transactions"]
    ingested = edge_record(source=raw, target=clean, provenance=Provenance.INGESTED, transformation="etl")
    with pytest.raises(ValidationError):
        edge_delete(edge=ingested, by=alice)
    with pytest.raises(ValidationError):
        edge_update(edge=ingested, by=alice, transformation="renamed")
    drawn = edge_draw(source=raw, target=clean, by=alice, columns=[("a", "b", "")])
    edge_update(edge=drawn, by=alice, transformation="dedupe")
    pk = drawn.pk
    edge_delete(edge=drawn, by=alice)
    assert not Edge.objects.filter(pk=pk).exists()
    assert Edge.objects.filter(pk=ingested.pk).exists()
    removal = Edge.history.filter(id=pk).order_by("-history_date").first()
    assert (removal.history_type, removal.history_user, removal.transformation) == ("-", alice, "dedupe")
    assert ColumnEdge.history.filter(edge_id=pk, history_type="-").count() == 1

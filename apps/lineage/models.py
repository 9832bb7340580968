"""Lineage: directed edges between any two registered assets, with column-level detail.

An edge's ends are (content type, integer id) pairs resolved through
`apps.core.assets`, so lineage never imports the apps that own the assets.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel
from apps.lineage.querysets import EdgeQuerySet, InheritedEdgeQuerySet


class Provenance(models.TextChoices):
    USER = "user", "Drawn by a user"
    INGESTED = "ingested", "Ingested from OpenLineage"
    JOB = "job", "Recorded by a job"


class Edge(TimeStampedModel):
    """Data flowed from `source` to `target` through a named transformation or job."""

    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    transformation = models.CharField(
        max_length=300, blank=True, help_text="The transformation or job that moved the data."
    )
    provenance = models.CharField(max_length=16, choices=Provenance.choices, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What recorded it when no person did: an OpenLineage producer URI, a job kind and id …
    producer = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    facets = models.JSONField(default=dict, blank=True)

    objects = EdgeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            # One edge per (ends, transformation, provenance): re-ingestion updates, never duplicates,
            # and an ingested edge never replaces the one a person drew.
            models.UniqueConstraint(
                fields=[
                    "source_type",
                    "source_id",
                    "target_type",
                    "target_id",
                    "transformation",
                    "provenance",
                ],
                name="lineage_edge_unique",
            ),
            models.CheckConstraint(
                condition=~(
                    models.Q(source_type=models.F("target_type")) & models.Q(source_id=models.F("target_id"))
                ),
                name="lineage_edge_not_a_loop",
            ),
        ]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="lineage_edge_source"),
            models.Index(fields=["target_type", "target_id"], name="lineage_edge_target"),
        ]

    def __str__(self) -> str:
        via = f" via {self.transformation}" if self.transformation else ""
        return f"{self.source_type.model}:{self.source_id} → {self.target_type.model}:{self.target_id}{via}"


class ColumnEdge(TimeStampedModel):
    """Column-level lineage inside an edge: `source_column` fed `target_column`."""

    edge = models.ForeignKey(Edge, on_delete=models.CASCADE, related_name="columns")
    source_column = models.CharField(max_length=300)
    target_column = models.CharField(max_length=300)
    transformation = models.CharField(max_length=500, blank=True, help_text="e.g. IDENTITY, AGGREGATION: sum")

    objects = InheritedEdgeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["edge", "target_column", "source_column"]
        constraints = [
            models.UniqueConstraint(
                fields=["edge", "source_column", "target_column"], name="lineage_column_edge_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_column} → {self.target_column}"

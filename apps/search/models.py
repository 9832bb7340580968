"""The search index: one denormalized row per searchable object, with what permission filtering needs.

Derived data, rebuilt from the registered asset types (`manage.py search_reindex`), so it
has no history. Full-text structures live beside it: a stored tsvector column with a GIN
index on PostgreSQL, an FTS5 table kept in step by triggers on SQLite (migration 0002).
"""

from django.db import models


class FacetName(models.TextChoices):
    TAG = "tag", "Tag"
    TERM = "term", "Glossary term"


class SearchDocument(models.Model):
    """One searchable object: its type and id, text, owning team and visibility, status and link."""

    asset_type = models.CharField(max_length=100)  # the registered model's label, e.g. "catalog.dataset"
    object_id = models.BigIntegerField()
    # The object whose permissions govern this one (itself, or e.g. a column's dataset).
    access_type = models.CharField(max_length=100)
    access_id = models.BigIntegerField()
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    visibility = models.CharField(max_length=16)
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=1000)
    status = models.CharField(max_length=40, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset_type", "object_id"], name="search_document_unique_object")
        ]
        indexes = [
            models.Index(fields=["access_type", "access_id"], name="search_doc_access"),
            models.Index(fields=["visibility", "team"], name="search_doc_visibility_team"),
            models.Index(fields=["asset_type", "title"], name="search_doc_type_title"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_type}:{self.object_id} {self.title}"


class SearchFacetValue(models.Model):
    """A tag or glossary term of a document, for faceting and filtering."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facet_values")
    facet = models.CharField(max_length=16, choices=FacetName.choices)
    value = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["facet", "value", "document"], name="search_facet_value")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"

"""Search hits and facets as JSON."""

from rest_framework import serializers


class SearchHitSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='The asset type, e.g. "catalog.dataset".')
    type_label = serializers.CharField(help_text='A person\'s name for the type, e.g. "Dataset".')
    name = serializers.CharField()
    team = serializers.CharField(help_text="The owning team's name (empty when none).")
    team_slug = serializers.CharField()
    url = serializers.CharField(help_text="The object's page in the portal.")
    score = serializers.FloatField(help_text="Relevance; higher is better (title matches first).")
    snippet = serializers.CharField(help_text="Plain text around the first matching word.")


class FacetCountSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value to pass back as a filter.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class SearchFacetsSerializer(serializers.Serializer):
    type = FacetCountSerializer(many=True)
    team = FacetCountSerializer(many=True)
    tag = FacetCountSerializer(many=True)
    term = FacetCountSerializer(many=True)
    status = FacetCountSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchHitSerializer(many=True)
    facets = SearchFacetsSerializer()

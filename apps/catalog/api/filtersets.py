"""API filters for datasets."""

import django_filters

from apps.catalog.models import Dataset
from apps.core.models import Visibility


class DatasetFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", help_text="Owning team's slug.")
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Name contains (case-insensitive).")
    domain = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Dataset
        fields = ["team", "visibility", "name", "domain"]

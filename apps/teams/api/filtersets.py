"""API filters for teams, memberships and tokens."""

import django_filters

from apps.core.permissions import Role
from apps.teams.models import Membership, PersonalAccessToken, Team, TeamKind


class TeamFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=TeamKind.choices)
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Name contains (case-insensitive).")

    class Meta:
        model = Team
        fields = ["kind", "name"]


class MembershipFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    user = django_filters.CharFilter(field_name="user__username", help_text="Username.")
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["team", "user", "role"]


class PersonalAccessTokenFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(
        method="filter_active", help_text="Only usable (or only unusable) tokens."
    )

    class Meta:
        model = PersonalAccessToken
        fields = ["active"]

    def filter_active(self, queryset, name, value):
        usable = queryset.usable()
        return usable if value else queryset.exclude(pk__in=usable.values("pk"))

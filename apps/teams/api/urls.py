from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.teams.api import (
    schema,  # noqa: F401 -- registers the bearer scheme with drf-spectacular
    views,
)

router = SimpleRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("tokens", views.PersonalAccessTokenViewSet, basename="token")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]

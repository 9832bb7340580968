"""/api/v1/lineage/…: the portal's lineage API. Bare POST /api/v1/lineage is the OpenLineage receiver
(apps.catalog); every route here has a sub-path, so the two never clash."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.lineage.api import views

router = SimpleRouter()
router.register("lineage/edges", views.EdgeViewSet, basename="lineage-edge")

urlpatterns = [
    path("lineage/graph/", views.LineageGraphView.as_view(), name="lineage-graph"),
    path("lineage/impact/", views.LineageImpactView.as_view(), name="lineage-impact"),
    *router.urls,
]

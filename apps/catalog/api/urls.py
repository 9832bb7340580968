from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from apps.catalog.api import access as access_api
from apps.catalog.api import glossary as glossary_api
from apps.catalog.api import profiling as profiling_api
from apps.catalog.api import sources as sources_api
from apps.catalog.api import views
from apps.catalog.api.openlineage import OpenLineageReceiverView

router = SimpleRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("glossary/terms", glossary_api.GlossaryTermViewSet, basename="glossary-term")
router.register("tags", glossary_api.TagViewSet, basename="tag")
router.register("access-requests", access_api.AccessRequestViewSet, basename="access-request")

urlpatterns = router.urls
# The OpenLineage HTTP transport posts to /api/v1/lineage (no slash); both spellings reach the receiver.
urlpatterns += [re_path(r"^lineage/?$", OpenLineageReceiverView.as_view(), name="openlineage-receive")]
urlpatterns += [
    path("datasets/<int:pk>/labels/", glossary_api.DatasetLabelsView.as_view(), name="dataset-labels"),
]
# Profiling: the newest profile (GET) or a new profiling job (POST → 202), and the first rows.
urlpatterns += [
    path(
        "datasets/<int:pk>/profile/",
        profiling_api.DatasetProfileViewSet.as_view({"get": "retrieve", "post": "start"}),
        name="dataset-profile",
    ),
    path(
        "datasets/<int:pk>/preview/",
        profiling_api.DatasetPreviewViewSet.as_view({"get": "retrieve"}),
        name="dataset-preview",
    ),
]
# Sources (CRUD, test and sync jobs), a dataset's versions, and file uploads.
urlpatterns += sources_api.urlpatterns

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from apps.catalog.api import views
from apps.catalog.api.openlineage import OpenLineageReceiverView

router = SimpleRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")

urlpatterns = router.urls
# The OpenLineage HTTP transport posts to /api/v1/lineage (no slash); both spellings reach the receiver.
urlpatterns += [re_path(r"^lineage/?$", OpenLineageReceiverView.as_view(), name="openlineage-receive")]

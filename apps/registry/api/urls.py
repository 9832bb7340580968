from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.registry.api import views

router = SimpleRouter()
router.register("registered-models", views.RegisteredModelViewSet, basename="registered-model")

urlpatterns = router.urls + [
    path(
        "registered-models/<int:model_pk>/versions/",
        views.ModelVersionViewSet.as_view({"get": "list"}),
        name="model-version-list",
    ),
    path(
        "registered-models/<int:model_pk>/versions/<int:version>/",
        views.ModelVersionViewSet.as_view({"get": "retrieve"}),
        name="model-version-detail",
    ),
]

from django.urls import path, re_path

from apps.lineage import views

app_name = "lineage"
urlpatterns = [
    re_path(r"^(?P<label>[a-z_]+\.[a-z_]+)/(?P<pk>[0-9]+)/$", views.AssetLineageView.as_view(), name="asset"),
    re_path(
        r"^(?P<label>[a-z_]+\.[a-z_]+)/(?P<pk>[0-9]+)/edges/new/$",
        views.EdgeDrawView.as_view(),
        name="edge_draw",
    ),
    path("edges/<int:pk>/delete/", views.EdgeDeleteView.as_view(), name="edge_delete"),
]

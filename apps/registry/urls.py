from django.urls import path

from apps.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.RegisteredModelListView.as_view(), name="model_list"),
    path("export.csv", views.RegisteredModelExportView.as_view(), name="model_export"),
    path("<int:pk>/", views.RegisteredModelView.as_view(), name="model_detail"),
    path("<int:pk>/edit/", views.RegisteredModelEditView.as_view(), name="model_edit"),
    path("<int:pk>/history/", views.RegisteredModelHistoryView.as_view(), name="model_history"),
    path("<int:pk>/aliases/", views.ModelAliasSetView.as_view(), name="alias_set"),
    path("<int:pk>/aliases/<str:alias>/delete/", views.ModelAliasDeleteView.as_view(), name="alias_delete"),
    path("<int:pk>/versions/<int:version>/", views.ModelVersionView.as_view(), name="version_detail"),
    path("register/<str:uuid>/", views.RegisterFromRunView.as_view(), name="register_from_run"),
]

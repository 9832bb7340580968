from django.urls import path

from apps.catalog.views import datasets as views

app_name = "catalog"
urlpatterns = [
    path("datasets/", views.DatasetListView.as_view(), name="dataset_list"),
    path("datasets/export.csv", views.DatasetExportView.as_view(), name="dataset_export"),
    path("datasets/new/", views.DatasetCreateView.as_view(), name="dataset_create"),
    path("datasets/<int:pk>/", views.DatasetView.as_view(), name="dataset_detail"),
    path("datasets/<int:pk>/edit/", views.DatasetEditView.as_view(), name="dataset_edit"),
    path("datasets/<int:pk>/history/", views.DatasetHistoryView.as_view(), name="dataset_history"),
]

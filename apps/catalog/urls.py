from django.urls import path

from apps.catalog import views

app_name = "catalog"
urlpatterns = [
    path("datasets/", views.DatasetListView.as_view(), name="dataset_list"),
    path("datasets/<int:pk>/", views.DatasetView.as_view(), name="dataset_detail"),
]

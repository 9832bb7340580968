from django.urls import path

from apps.search import views

app_name = "search"
urlpatterns = [path("", views.SearchView.as_view(), name="search")]

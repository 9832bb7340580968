"""/account/: the signed-in person's own settings (personal access tokens)."""

from django.urls import path

from apps.teams import token_views

app_name = "account"
urlpatterns = [
    path("tokens/", token_views.TokenListView.as_view(), name="token_list"),
    path("tokens/<int:pk>/revoke/", token_views.TokenRevokeView.as_view(), name="token_revoke"),
]

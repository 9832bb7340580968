"""Web pages for personal access tokens: list, create (shown once) and revoke."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from apps.core.views import get_restricted_object_or_404
from apps.teams.api.serializers import token_status
from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_issue, token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “CI pipeline” or “laptop notebook”.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. Leave empty for a token that never expires.",
    )

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise ValidationError("Choose a date after today.")
        return value

    def expires_at(self) -> datetime | None:
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return timezone.make_aware(datetime.combine(value, time.min))


def _token_rows(user) -> list[dict]:
    tokens = PersonalAccessToken.objects.restrict(user).order_by("-created_at")
    return [{"token": token, "status": token_status(token)} for token in tokens]


class TokenListView(LoginRequiredMixin, View):
    """My tokens, and the form that creates one; a new token is shown on this page once."""

    template_name = "teams/tokens.html"

    def get(self, request):
        return self.render(request, TokenForm())

    def post(self, request):
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render(request, form, status=400)
        try:
            token, raw = token_issue(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render(request, form, status=400)
        # Rendered, not redirected: the raw token is never stored, not even in the session.
        response = self.render(request, TokenForm(), new_token=token, raw_token=raw)
        response["Cache-Control"] = "no-store"
        return response

    def render(self, request, form, *, status=200, **extra):
        context = {"form": form, "rows": _token_rows(request.user), **extra}
        return render(request, self.template_name, context, status=status)


class TokenRevokeView(LoginRequiredMixin, View):
    """Revoke one of my tokens (POST only); another user's token is a 404."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        token = get_restricted_object_or_404(PersonalAccessToken, request.user, "change", pk=pk)
        if token.revoked_at is None:
            token_revoke(token=token, by=request.user)
            messages.success(request, f"Token “{token.name}” revoked. Programs using it are now refused.")
        else:
            messages.info(request, f"Token “{token.name}” was already revoked.")
        return redirect("account:token_list")

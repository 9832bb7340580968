"""Access request pages: the dataset's Access tab, the queue, the by-reference form, decisions, history."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView, View

from apps.catalog.forms.access import AccessDecisionForm, AccessRequestByReferenceForm, AccessRequestForm
from apps.catalog.models import AccessRequest, AccessRequestStatus
from apps.catalog.selectors import access as selectors
from apps.catalog.selectors import datasets as dataset_selectors
from apps.catalog.services import access as services
from apps.catalog.views.datasets import DatasetMixin
from apps.core.permissions import Action
from apps.core.views import ObjectHistoryView, ServiceFormView

BY_REFERENCE_ANSWER = (
    "If this dataset exists, its steward and data officers have been asked. "
    "You will be notified when they decide."
)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class DatasetAccessView(DatasetMixin, ServiceFormView):
    """The dataset's Access tab: requests on it that the user may see, and a form to ask for access."""

    template_name = "catalog/access_dataset.html"
    form_class = AccessRequestForm

    def can_request(self) -> bool:
        if not hasattr(self, "_can_request"):
            user = self.request.user
            self._can_request = not services.dataset_has_row_access(user=user, dataset=self.dataset) and not (
                AccessRequest.objects.filter(
                    dataset=self.dataset, requester=user, status=AccessRequestStatus.PENDING
                ).exists()
            )
        return self._can_request

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["column_names"] = list(
            self.dataset.columns.order_by("position", "name").values_list("name", flat=True)
        )
        return kwargs

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context.update(
            dataset=self.dataset,
            active_tab="access",
            can_change=dataset_selectors.dataset_user_may(
                user=user, dataset=self.dataset, action=Action.CHANGE
            ),
            access_requests=selectors.access_requests_for_dataset(user=user, dataset=self.dataset),
            has_row_access=services.dataset_has_row_access(user=user, dataset=self.dataset),
            can_request=self.can_request(),
            approvers=services.access_approvers(dataset=self.dataset),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_request():
            messages.info(
                request, "You already have access to this dataset or a request waiting for a decision."
            )
            return redirect("catalog:dataset_access", pk=self.dataset.pk)
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        access_request = services.access_request_create(
            dataset=self.dataset,
            requester=self.request.user,
            purpose=data["purpose"],
            duration_days=data["duration_days"],
            columns=data.get("columns") or [],
            for_asset=data.get("for_asset"),
        )
        return access_request, "Request sent. The steward and data officers have been notified."


class AccessRequestListView(LoginRequiredMixin, TemplateView):
    """Requests awaiting my decision, and the requests I made."""

    template_name = "catalog/access_request_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = self.request.GET.get("scope")
        queue = list(selectors.access_request_queue(user=user)[:200])
        mine = list(selectors.access_requests_of(user=user)[:200])
        if scope not in ("queue", "mine"):
            scope = "queue" if queue or not mine else "mine"
        return super().get_context_data(scope=scope, queue=queue, mine=mine, **kwargs)


class AccessRequestCreateView(LoginRequiredMixin, FormView):
    """Ask for a dataset by id or URL; the answer is the same whether it exists or not."""

    template_name = "catalog/access_request_form.html"
    form_class = AccessRequestByReferenceForm

    def get_initial(self):
        """Prefilled from ?dataset= (the link on the "not found" page)."""
        return {"dataset": self.request.GET.get("dataset", "")[:500]}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        user = self.request.user
        dataset = selectors.dataset_by_reference_unchecked(pk=data["dataset"])
        # Recorded only when the dataset exists and the user lacks access; the response never differs.
        if dataset is not None and not services.dataset_has_row_access(user=user, dataset=dataset):
            # A pending request that already exists is not an error to show: it would tell it apart.
            with contextlib.suppress(ValidationError):
                services.access_request_create(
                    dataset=dataset,
                    requester=user,
                    purpose=data["purpose"],
                    duration_days=data["duration_days"],
                    columns=data.get("columns_text") or [],
                    for_asset=data.get("for_asset"),
                )
        messages.success(self.request, BY_REFERENCE_ANSWER)
        # To the requester's own list (the same address either way), not an empty "Awaiting me".
        return redirect(reverse("catalog:access_request_list") + "?scope=mine")


class AccessRequestMixin(LoginRequiredMixin):
    """Loads the request through `restrict` (404 when the user may not see it)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access_request = selectors.access_request_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class AccessRequestView(AccessRequestMixin, TemplateView):
    """One request: who, what for, which columns, how long; decide, withdraw or revoke it here."""

    template_name = "catalog/access_request_detail.html"

    def get_context_data(self, **kwargs):
        user, access_request = self.request.user, self.access_request
        may_approve = services.access_request_user_may(
            user=user, access_request=access_request, action=Action.APPROVE
        )
        return super().get_context_data(
            access_request=access_request,
            dataset_visible=access_request.dataset_visible,
            may_decide=may_approve and access_request.status == AccessRequestStatus.PENDING,
            may_revoke=may_approve and access_request.status == AccessRequestStatus.APPROVED,
            may_withdraw=access_request.requester_id == user.pk
            and access_request.status == AccessRequestStatus.PENDING,
            decision_form=AccessDecisionForm(),
            for_asset=access_request.for_asset if access_request.for_type_id else None,
            **kwargs,
        )


class AccessRequestActionView(AccessRequestMixin, View):
    """POST approve, deny, revoke (steward/data officer: else 403) or withdraw (requester: else 403)."""

    operation = ""
    done = {
        "approve": "Approved: {requester} can now see the dataset until {expires}.",
        "deny": "Denied. {requester} has been told.",
        "revoke": "Access revoked. {requester} has been told.",
        "withdraw": "Request withdrawn.",
    }

    def post(self, request, pk):
        form = AccessDecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            if self.operation == "approve":
                result = services.access_request_approve(
                    access_request=self.access_request, by=request.user, note=note
                )
            elif self.operation == "deny":
                result = services.access_request_deny(
                    access_request=self.access_request, by=request.user, note=note
                )
            elif self.operation == "revoke":
                result = services.access_request_revoke(
                    access_request=self.access_request, by=request.user, note=note
                )
            else:
                result = services.access_request_withdraw(access_request=self.access_request, by=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return redirect(self.access_request)
        requester = result.requester.get_full_name() or result.requester.get_username()
        expires = f"{result.expires_at:%Y-%m-%d}" if result.expires_at else ""
        messages.success(request, self.done[self.operation].format(requester=requester, expires=expires))
        return redirect(result)


class AccessRequestHistoryView(ObjectHistoryView):
    """Every step of a request: asked, approved or denied, withdrawn, expired — by whom, when."""

    model = AccessRequest
    template_name = "catalog/access_request_history.html"
    list_crumb = ("Access requests", "catalog:access_request_list")
    context_object_name = "access_request"

    def base_queryset(self):
        return AccessRequest.objects.select_related("dataset", "requester")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = selectors.access_request_dataset_visible(user=self.request.user, access_request=self.object)
        context["dataset_visible"] = visible
        if not visible:
            # A denied requester learns the decision, not the name of a dataset they cannot see.
            hidden = f"#{self.object.dataset_id}"
            for row in context["history_rows"]:
                for change in row.changes:
                    if change.field == "Dataset":
                        change.old = hidden if change.old else None
                        change.new = hidden if change.new else None
        return context

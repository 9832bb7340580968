"""Catalog pages: thin views over the catalog's selectors (reads) and services (writes)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, View

from apps.catalog.forms.datasets import DatasetFilterForm, DatasetForm
from apps.catalog.models import Dataset
from apps.catalog.selectors import datasets as selectors
from apps.catalog.services import datasets as services
from apps.core.permissions import Action
from apps.core.views import ObjectHistoryView


class DatasetListView(LoginRequiredMixin, ListView):
    """Datasets the user may see, with a filter bar, sortable columns, pagination and CSV export."""

    template_name = "catalog/dataset_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = DatasetFilterForm(self.request.GET or None)
        self.filters = self.filter_form.filters()
        return selectors.dataset_list(user=self.request.user, **self.filters)

    def paginate_queryset(self, queryset, page_size):
        # A page number out of range or not a number shows the nearest page, never a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=self.filter_form,
            filtered=bool(self.filters["team"] or self.filters["visibility"] or self.filters["text"]),
            can_create=selectors.dataset_creatable_teams(user=self.request.user).exists(),
        )
        return context


def _csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class DatasetExportView(LoginRequiredMixin, View):
    """The list's datasets (same filters, same restriction) as CSV."""

    def get(self, request):
        filters = DatasetFilterForm(request.GET or None).filters()
        datasets = selectors.dataset_list(user=request.user, **filters)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="datasets-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(["name", "team", "visibility", "domain", "updated_at", "url"])
        for dataset in datasets:
            writer.writerow(
                [
                    _csv_cell(dataset.name),
                    _csv_cell(dataset.team.name),
                    dataset.visibility,
                    _csv_cell(dataset.domain),
                    dataset.updated_at.isoformat(timespec="seconds"),
                    request.build_absolute_uri(dataset.get_absolute_url()),
                ]
            )
        return response


class DatasetMixin(LoginRequiredMixin):
    """Loads the dataset through `restrict` (404 if invisible) and checks the view's action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.dataset = selectors.dataset_get(user=request.user, pk=kwargs["pk"])
        if self.action != Action.VIEW and not selectors.dataset_user_may(
            user=request.user, dataset=self.dataset, action=self.action
        ):
            raise PermissionDenied("Your role in this dataset's team may not change it.")
        return super().dispatch(request, *args, **kwargs)


class DatasetView(DatasetMixin, DetailView):
    """The dataset page: header, Overview tab, side panel with owners."""

    template_name = "catalog/dataset_detail.html"
    context_object_name = "dataset"

    def get_object(self, queryset=None):
        return self.dataset

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            can_change=selectors.dataset_user_may(user=user, dataset=self.dataset, action=Action.CHANGE),
            owners=selectors.dataset_owners(dataset=self.dataset),
            created_by=selectors.dataset_created_by(dataset=self.dataset),
            active_tab="overview",
            **kwargs,
        )


class DatasetHistoryView(ObjectHistoryView):
    """Who changed the dataset, what and when."""

    model = Dataset
    template_name = "catalog/dataset_history.html"
    list_crumb = ("Catalog", "catalog:dataset_list")
    context_object_name = "dataset"

    def base_queryset(self):
        return Dataset.objects.select_related("team")

    def get_context_data(self, **kwargs):
        return super().get_context_data(active_tab="history", **kwargs)


def _apply_service_errors(form, error: ValidationError) -> None:
    """Put a service's validation errors next to the matching fields (others at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else ("name" if field == "slug" else None)
            for item in errors:
                form.add_error(target if target in form.fields else None, item)
    else:
        form.add_error(None, error)


class DatasetCreateView(LoginRequiredMixin, FormView):
    """Register a dataset in one of the teams where the user may add assets."""

    template_name = "catalog/dataset_form.html"
    form_class = DatasetForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.teams = selectors.dataset_creatable_teams(user=request.user)
        if not self.teams.exists():
            raise PermissionDenied("None of your roles may register datasets.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["teams"] = self.teams
        kwargs["instance"] = Dataset()
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            dataset = services.dataset_create(
                team=data["team"],
                by=self.request.user,
                name=data["name"],
                visibility=data["visibility"],
                domain=data["domain"],
                description=data["description"],
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Dataset “{dataset.name}” registered in {dataset.team.name}.")
        return redirect(dataset)


class DatasetEditView(DatasetMixin, FormView):
    """Edit a dataset's name, visibility, domain and description."""

    template_name = "catalog/dataset_form.html"
    form_class = DatasetForm
    action = Action.CHANGE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.dataset
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(dataset=self.dataset, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        # The form has written the fields onto the instance; reload so the service sees a clean copy.
        dataset = Dataset.objects.select_related("team").get(pk=self.dataset.pk)
        try:
            services.dataset_update(
                dataset=dataset,
                by=self.request.user,
                **{name: data[name] for name in ("name", "visibility", "domain", "description")},
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{dataset.name}”.")
        return redirect(dataset)

"""Catalog pages: thin views over the catalog's selectors (reads) and services (writes)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import DetailView

from apps.catalog.forms.datasets import DatasetFilterForm, DatasetForm
from apps.catalog.models import Dataset
from apps.catalog.selectors import datasets as selectors
from apps.catalog.services import datasets as services
from apps.core.permissions import Action
from apps.core.views import CsvExportView, FilteredListView, ObjectHistoryView, ServiceFormView


class DatasetListView(FilteredListView):
    """Datasets the user may see, with a filter bar, sortable columns, pagination and CSV export."""

    template_name = "catalog/dataset_list.html"
    filter_form_class = DatasetFilterForm
    selector = selectors.dataset_list

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_create=selectors.dataset_creatable_teams(user=self.request.user).exists(), **kwargs
        )


class DatasetExportView(CsvExportView):
    """The list's datasets (same filters, same restriction) as CSV."""

    filter_form_class = DatasetFilterForm
    selector = selectors.dataset_list
    filename = "datasets"
    header = ["name", "team", "visibility", "domain", "updated_at", "url"]

    def row(self, dataset) -> list:
        return [
            dataset.name,
            dataset.team.name,
            dataset.visibility,
            dataset.domain,
            dataset.updated_at.isoformat(timespec="seconds"),
            self.request.build_absolute_uri(dataset.get_absolute_url()),
        ]


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


class DatasetCreateView(LoginRequiredMixin, ServiceFormView):
    """Register a dataset in one of the teams where the user may add assets."""

    template_name = "catalog/dataset_form.html"
    form_class = DatasetForm
    service_error_fields = {"slug": "name"}

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

    def perform(self, form):
        data = form.cleaned_data
        dataset = services.dataset_create(
            team=data["team"],
            by=self.request.user,
            name=data["name"],
            visibility=data["visibility"],
            domain=data["domain"],
            description=data["description"],
        )
        return dataset, f"Dataset “{dataset.name}” registered in {dataset.team.name}."


class DatasetEditView(DatasetMixin, ServiceFormView):
    """Edit a dataset's name, visibility, domain and description."""

    template_name = "catalog/dataset_form.html"
    form_class = DatasetForm
    action = Action.CHANGE
    service_error_fields = {"slug": "name"}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.dataset
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(dataset=self.dataset, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        # The form has written the fields onto the instance; reload so the service sees a clean copy.
        dataset = Dataset.objects.select_related("team").get(pk=self.dataset.pk)
        services.dataset_update(
            dataset=dataset,
            by=self.request.user,
            **{name: data[name] for name in ("name", "visibility", "domain", "description")},
        )
        return dataset, f"Saved “{dataset.name}”."

"""Pipelines: the jobs OpenLineage producers report (Airflow, dbt, Spark …), their runs and datasets."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.catalog.forms.pipelines import PipelineFilterForm
from apps.catalog.openlineage import selectors
from apps.core.views import FilteredListView


class PipelineListView(FilteredListView):
    """The pipelines the user may see, the latest run of each first."""

    template_name = "catalog/pipeline_list.html"
    filter_form_class = PipelineFilterForm
    selector = selectors.pipeline_list


class PipelineView(LoginRequiredMixin, TemplateView):
    """One pipeline: what it reads and writes, and its latest runs with their states and errors."""

    template_name = "catalog/pipeline_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        pipeline = selectors.pipeline_get(user=user, pk=kwargs["pk"])
        return super().get_context_data(
            pipeline=pipeline,
            runs=selectors.pipeline_runs(user=user, job=pipeline),
            runs_shown=selectors.PIPELINE_RUNS_SHOWN,
            **selectors.pipeline_datasets(user=user, job=pipeline),
            **kwargs,
        )

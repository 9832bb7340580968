"""The compare view: metric curves overlaid, parallel coordinates, a params/metrics diff, all as CSV too.

Runs come from the runs table's checkboxes or the URL (`?runs=<uuid>,<uuid>` or repeated
`runs=`); a run the viewer may not see is dropped silently, exactly as if it did not exist.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView, View

from apps.core.views import csv_response
from apps.experiments import charts
from apps.experiments.selectors import pages as selectors

DEFAULT_CHART_METRICS = 6
MAX_CHART_METRICS = 12
MAX_PARALLEL_PARAMS = 12


def requested_uuids(request) -> list[str]:
    """Run ids from `runs=` (repeated and/or comma-separated), in order, without duplicates."""
    found: list[str] = []
    for value in request.GET.getlist("runs")[: selectors.MAX_COMPARE_RUNS * 2]:
        found.extend(part.strip() for part in value[:4000].split(",") if part.strip())
    return list(dict.fromkeys(found))[: selectors.MAX_COMPARE_RUNS]


def run_labels(runs) -> list[str]:
    """Each run's name, made unique with its short id when two runs share a name."""
    names = [run.name or run.uuid[:8] for run in runs]
    counts = Counter(names)
    return [
        f"{name} ({run.uuid[:8]})" if counts[name] > 1 else name
        for name, run in zip(names, runs, strict=True)
    ]


class CompareContext:
    """The compare view's data for one request: runs, their values, the chosen metrics and axes."""

    def __init__(self, request):
        user = request.user
        self.runs = selectors.runs_for_compare(user=user, uuids=requested_uuids(request))
        self.labels = run_labels(self.runs)
        # Which metrics have values, most shared first: the default charts and parallel-coordinates metric.
        base = selectors.compare_data(user=user, runs=self.runs, history_keys=[])
        self.params = base.params
        self.metrics = base.metrics
        by_share = sorted(self.metrics, key=lambda key: (-len(self.metrics[key]), key))
        asked = [key for key in request.GET.getlist("metric") if key in self.metrics][:MAX_CHART_METRICS]
        self.chart_keys = asked or by_share[:DEFAULT_CHART_METRICS]
        parallel = request.GET.get("parallel_metric", "")
        self.parallel_metric = parallel if parallel in self.metrics else (by_share[0] if by_share else "")
        self.histories = selectors.metric_histories(user=user, runs=self.runs, keys=self.chart_keys)
        self.all_metric_keys = sorted(self.metrics)

    def series(self, key: str) -> list[charts.Series]:
        by_run = self.histories.get(key, {})
        result = []
        for index, (run, label) in enumerate(zip(self.runs, self.labels, strict=True)):
            points = by_run.get(run.pk, [])
            result.append(
                charts.Series(
                    label=label,
                    run_id=run.uuid,
                    colour=charts.run_colour(index),
                    steps=[point[0] for point in points],
                    values=[point[1] for point in points],
                    timestamps=[point[2] for point in points],
                )
            )
        return result

    def parallel_params(self) -> dict[str, list[str | None]]:
        """Params that differ between the runs (all of them when none differ), at most a dozen."""
        table = {
            key: [values.get(run.pk) for run in self.runs] for key, values in sorted(self.params.items())
        }
        differing = {key: values for key, values in table.items() if len({str(v) for v in values}) > 1}
        chosen = differing or table
        return dict(list(chosen.items())[:MAX_PARALLEL_PARAMS])

    def compare_runs(self) -> list[charts.CompareRun]:
        return [
            charts.CompareRun(label=label, run_id=run.uuid)
            for run, label in zip(self.runs, self.labels, strict=True)
        ]

    def metric_values(self, key: str) -> list[float | None]:
        values = self.metrics.get(key, {})
        return [values.get(run.pk) for run in self.runs]


class RunCompareView(LoginRequiredMixin, TemplateView):
    """Compare 2–50 runs: metric curves, parallel coordinates, the diff table."""

    template_name = "experiments/run_compare.html"

    def get_context_data(self, **kwargs):
        data = CompareContext(self.request)
        figures: dict[str, dict] = {}
        metric_charts = []
        for index, key in enumerate(data.chart_keys):
            figure = charts.metric_figure(key=key, series=data.series(key), legend=False)
            element = f"compare-metric-{index}"
            if figure:
                figures[f"{element}-data"] = figure
            metric_charts.append({"key": key, "figure_id": element if figure else ""})
        parallel = None
        if data.parallel_metric:
            parallel = charts.parallel_coordinates_figure(
                runs=data.compare_runs(),
                params=data.parallel_params(),
                metric_key=data.parallel_metric,
                metric_values=data.metric_values(data.parallel_metric),
            )
        if parallel:
            figures["compare-parallel-data"] = parallel
        rows = charts.diff_rows(
            params={key: [values.get(run.pk) for run in data.runs] for key, values in data.params.items()},
            metrics={key: data.metric_values(key) for key in data.metrics},
        )
        experiments = {run.experiment_id: run.experiment for run in data.runs}
        return super().get_context_data(
            runs=list(
                zip(
                    data.runs, data.labels, [charts.run_colour(i) for i in range(len(data.runs))], strict=True
                )
            ),
            run_count=len(data.runs),
            uuids=",".join(run.uuid for run in data.runs),
            experiments=list(experiments.values()),
            metric_charts=metric_charts,
            chart_keys=data.chart_keys,
            all_metric_keys=data.all_metric_keys,
            parallel_metric=data.parallel_metric,
            parallel_params=list(data.parallel_params()),
            has_parallel=bool(parallel),
            figures=figures,
            diff_rows=rows,
            differing=sum(1 for row in rows if row.differs),
            **kwargs,
        )


class RunCompareExportView(LoginRequiredMixin, View):
    """A compare chart's data as CSV: `chart=metric&key=…`, `chart=parallel`, or `chart=diff`."""

    def get(self, request, *args, **kwargs):
        data = CompareContext(request)
        chart = request.GET.get("chart", "diff")
        if chart == "metric":
            key = request.GET.get("key", "")
            if key not in data.metrics:
                raise Http404("No such metric among these runs.")
            if key not in data.chart_keys:
                data.histories.update(
                    selectors.metric_histories(user=request.user, runs=data.runs, keys=[key], thin=False)
                )
            else:
                data.histories = selectors.metric_histories(
                    user=request.user, runs=data.runs, keys=data.chart_keys, thin=False
                )
            return csv_response(
                charts.metric_csv_rows(key=key, series=data.series(key)), name=f"compare-{key}"
            )
        if chart == "parallel":
            rows = charts.parallel_csv_rows(
                runs=data.compare_runs(),
                params=data.parallel_params(),
                metric_key=data.parallel_metric,
                metric_values=data.metric_values(data.parallel_metric),
            )
            return csv_response(rows, name="compare-parallel-coordinates")
        header = ["kind", "key", *data.labels]
        rows = charts.diff_rows(
            params={key: [values.get(run.pk) for run in data.runs] for key, values in data.params.items()},
            metrics={key: data.metric_values(key) for key in data.metrics},
        )
        lines = [header] + [
            [row.kind, row.key, *["" if value is None else value for value in row.values]] for row in rows
        ]
        return csv_response(lines, name="compare-runs")

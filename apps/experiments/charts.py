"""Plotly figures for experiment pages: pure functions over plain data, no ORM, testable alone.

Selectors (`apps/experiments/selectors/pages.py`) read restricted querysets and return plain
series and rows; the functions here turn them into JSON-able plotly figures the pages hand to
plotly.js, and into the CSV rows behind each chart.

Figures a run logs as artifacts: a file named `*.plotly.json` (by convention under `plots/`,
e.g. `plots/confusion_matrix.plotly.json`, `plots/residuals.plotly.json`,
`plots/feature_importance.plotly.json`) holding a plotly figure's JSON (`{"data": [...],
"layout": {...}}`, what `figure.to_json()` writes) is drawn on the run's Overview and Artifacts
tabs, after `artifact_figure` has checked it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

PLOTLY_ARTIFACT_SUFFIX = ".plotly.json"
PLOTS_FOLDER = "plots/"
# Largest plotly artifact drawn in the page (bigger ones are offered for download only).
MAX_FIGURE_BYTES = 2 * 1024 * 1024

# One colour per run, in the order the runs are listed (Tabler's palette, distinguishable).
RUN_COLOURS = (
    "#066fd1",
    "#f76707",
    "#2fb344",
    "#d63939",
    "#ae3ec9",
    "#17a2b8",
    "#f59f00",
    "#4263eb",
    "#74b816",
    "#d6336c",
    "#0ca678",
    "#7048e8",
)
FONT = {"family": "inherit", "size": 11}


def is_plotly_artifact(path: str) -> bool:
    """Whether an artifact path names a plotly figure the run page draws."""
    return path.lower().endswith(PLOTLY_ARTIFACT_SUFFIX)


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def _as_json(figure: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON types (plotly's encoder turns numpy values into lists)."""
    return json.loads(figure.to_json())


def _layout(**extra) -> dict[str, Any]:
    layout = {
        "height": 260,
        "margin": {"l": 52, "r": 12, "t": 8, "b": 40},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout


@dataclass(frozen=True)
class Series:
    """One run's points of one metric: steps and values (None for NaN), with the run's label."""

    label: str
    run_id: str
    colour: str
    steps: Sequence[int]
    values: Sequence[float | None]
    timestamps: Sequence[int] = ()


def metric_figure(*, key: str, series: Sequence[Series], legend: bool = False) -> dict[str, Any] | None:
    """One metric over steps, one line per run (markers only when a run has a single point)."""
    drawn = [item for item in series if item.steps]
    if not drawn:
        return None
    figure = go.Figure()
    for item in drawn:
        single = len(item.steps) == 1
        figure.add_trace(
            go.Scatter(
                x=list(item.steps),
                y=[None if value is None or not math.isfinite(value) else value for value in item.values],
                name=item.label,
                mode="markers" if single else "lines",
                line={"color": item.colour, "width": 2},
                marker={"color": item.colour, "size": 8},
                hovertemplate=f"{_escape(item.label)}<br>step %{{x}}: %{{y:.6~g}}<extra></extra>",
            )
        )
    figure.update_layout(
        **_layout(showlegend=legend),
        xaxis={"title": {"text": "step"}, "zeroline": False},
        yaxis={"title": {"text": key}, "zeroline": False, "automargin": True},
        legend={"orientation": "h", "y": -0.25},
    )
    return _as_json(figure)


def metric_csv_rows(*, key: str, series: Sequence[Series]) -> list[list[Any]]:
    """The metric's points as CSV rows (header first): run, run id, metric, step, value, timestamp."""
    rows: list[list[Any]] = [["run", "run_id", "metric", "step", "value", "timestamp_ms"]]
    for item in series:
        timestamps = list(item.timestamps) or [""] * len(item.steps)
        for step, value, timestamp in zip(item.steps, item.values, timestamps, strict=False):
            rows.append([item.label, item.run_id, key, step, "NaN" if value is None else value, timestamp])
    return rows


def _numeric(values: Sequence[str | None]) -> list[float] | None:
    """The values as floats when every present one is a finite number, else None."""
    numbers = []
    for value in values:
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number):
            return None
        numbers.append(number)
    return numbers if numbers else None


@dataclass(frozen=True)
class CompareRun:
    """A run as the compare charts know it: its label and id."""

    label: str
    run_id: str


def parallel_coordinates_figure(
    *,
    runs: Sequence[CompareRun],
    params: dict[str, Sequence[str | None]],
    metric_key: str,
    metric_values: Sequence[float | None],
) -> dict[str, Any] | None:
    """Params (one axis each) → the chosen metric (last axis, and the lines' colour).

    Numeric params get a numeric axis; other params a categorical axis with one tick per value.
    Runs without the metric are left out; at least two runs and one param are needed.
    """
    keep = [i for i, value in enumerate(metric_values) if value is not None and math.isfinite(value)]
    if len(keep) < 2 or not params:
        return None
    dimensions = []
    for key, values in params.items():
        kept = [values[i] for i in keep]
        numbers = _numeric(kept)
        if numbers is not None and len(numbers) == len(kept):
            dimensions.append({"label": key, "values": [float(value) for value in kept]})
        else:
            categories = sorted({"—" if value in (None, "") else str(value) for value in kept})
            index = {category: position for position, category in enumerate(categories)}
            dimensions.append(
                {
                    "label": key,
                    "values": [index["—" if value in (None, "") else str(value)] for value in kept],
                    "tickvals": list(range(len(categories))),
                    "ticktext": [category[:24] for category in categories],
                    "range": [-0.5, max(len(categories) - 0.5, 0.5)],
                }
            )
    metric = [float(metric_values[i]) for i in keep]
    dimensions.append({"label": metric_key, "values": metric})
    figure = go.Figure(
        go.Parcoords(
            line={
                "color": metric,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": metric_key}},
            },
            dimensions=dimensions,
            labelangle=-20,
            labelfont={"size": 11},
        )
    )
    figure.update_layout(**_layout(height=380, margin={"l": 60, "r": 60, "t": 60, "b": 24}))
    return _as_json(figure)


def parallel_csv_rows(
    *,
    runs: Sequence[CompareRun],
    params: dict[str, Sequence[str | None]],
    metric_key: str,
    metric_values: Sequence[float | None],
) -> list[list[Any]]:
    """The parallel-coordinates chart's data: one row per run, its params and the metric."""
    keys = list(params)
    rows: list[list[Any]] = [["run", "run_id", *keys, metric_key]]
    for index, run in enumerate(runs):
        value = metric_values[index]
        rows.append(
            [
                run.label,
                run.run_id,
                *[params[key][index] if params[key][index] is not None else "" for key in keys],
                "" if value is None else value,
            ]
        )
    return rows


@dataclass
class DiffRow:
    """One row of the compare table: a param or metric and each run's value."""

    kind: str  # "param" or "metric"
    key: str
    values: list[Any]
    differs: bool
    best: int | None = None  # index of the best run for a metric (lowest or highest, as asked)


def diff_rows(
    *,
    params: dict[str, Sequence[str | None]],
    metrics: dict[str, Sequence[float | None]],
    lower_is_better: frozenset[str] = frozenset(),
) -> list[DiffRow]:
    """Params then metrics, each flagged when the runs disagree; metrics mark their best run."""
    rows: list[DiffRow] = []
    for key in sorted(params):
        values = list(params[key])
        rows.append(DiffRow("param", key, values, differs=len({str(v) for v in values}) > 1))
    for key in sorted(metrics):
        values = list(metrics[key])
        finite = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        distinct = {round(v, 12) if v is not None and math.isfinite(v) else repr(v) for v in values}
        best = None
        if len(finite) > 1 and len({v for _, v in finite}) > 1:
            chooser = min if key in lower_is_better or _looks_like_a_loss(key) else max
            best = chooser(finite, key=lambda pair: pair[1])[0]
        rows.append(DiffRow("metric", key, values, differs=len(distinct) > 1, best=best))
    return rows


LOSS_WORDS = ("loss", "error", "rmse", "mse", "mae", "mape", "logloss", "log_loss", "brier", "perplexity")


def _looks_like_a_loss(key: str) -> bool:
    """Whether a metric is better when lower, judged from its name (rmse, val_loss, error_rate …)."""
    name = key.lower()
    return any(word in name for word in LOSS_WORDS)


def lower_is_better(key: str) -> bool:
    return _looks_like_a_loss(key)


# --- figures logged as artifacts ---------------------------------------------------------------

# Trace types drawn from an artifact: everything plotly.js renders from the figure alone. Map and
# geo traces are left out: they fetch tiles and shapes from the internet, and pages load nothing
# from outside the portal.
SAFE_TRACE_TYPES = frozenset(
    {
        "bar",
        "box",
        "candlestick",
        "contour",
        "funnel",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "indicator",
        "mesh3d",
        "ohlc",
        "parcats",
        "parcoords",
        "pie",
        "sankey",
        "scatter",
        "scatter3d",
        "scattergl",
        "scatterpolar",
        "scatterternary",
        "splom",
        "sunburst",
        "surface",
        "table",
        "treemap",
        "violin",
        "waterfall",
    }
)
# Layout parts that load images or map styles from URLs.
DROPPED_LAYOUT_KEYS = ("images", "mapbox", "map", "geo")


def artifact_figure(content: bytes) -> tuple[dict[str, Any] | None, str]:
    """A plotly figure from an artifact's bytes, or (None, why it cannot be drawn)."""
    if len(content) > MAX_FIGURE_BYTES:
        return (
            None,
            f"The figure is larger than {MAX_FIGURE_BYTES // (1024 * 1024)} MiB; download it instead.",
        )
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "The file is not valid JSON."
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None, "The file is JSON but not a plotly figure (it needs a “data” list)."
    traces = []
    for trace in data["data"]:
        if not isinstance(trace, dict):
            return None, "A trace of the figure is not an object."
        kind = trace.get("type", "scatter")
        if kind not in SAFE_TRACE_TYPES:
            return None, f"Traces of type “{kind}” are not drawn here; download the file instead."
        traces.append(trace)
    layout = data.get("layout") if isinstance(data.get("layout"), dict) else {}
    layout = {key: value for key, value in layout.items() if key not in DROPPED_LAYOUT_KEYS}
    layout.setdefault("font", FONT)
    layout["paper_bgcolor"] = "rgba(0,0,0,0)"
    layout.setdefault("autosize", True)
    layout.setdefault("height", 340)
    layout.setdefault("margin", {"l": 40, "r": 16, "t": 32, "b": 40})
    for axis in ("xaxis", "yaxis"):  # long category labels get room instead of being cut
        if isinstance(layout.get(axis, {}), dict):
            layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return {"data": traces, "layout": layout}, ""


def _escape(text: str) -> str:
    """Text safe inside a plotly hovertemplate (no %{…} placeholders, no markup)."""
    return str(text).replace("<", "&lt;").replace(">", "&gt;").replace("{", "(").replace("}", ")")

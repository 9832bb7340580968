"""Plotly figures of a training outcome, as JSON-ready dicts, and their data as CSV tables.

No ORM here: the job passes plain data in and stores each figure as `plots/<name>.plotly.json`
(a plotly figure: `data` + `layout`, the convention of `apps/experiments/charts.py`) next to
`plots/<name>.csv`, so the run page draws it with plotly.js and offers its data one click away.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import plotly.graph_objects as go

FONT = {"family": "Inter, -apple-system, BlinkMacSystemFont, sans-serif", "size": 12}
BLUE = "#206bc4"
RED = "#d63939"


def _layout(title: str, **extra) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 14}},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """A figure as plain JSON types (plotly's own encoder handles numpy values)."""
    return json.loads(figure.to_json())


def confusion_figure(confusion: dict[str, Any]) -> dict[str, Any]:
    """Heatmap of the confusion matrix, counts written in the cells."""
    labels = confusion["labels"]
    matrix = confusion["matrix"]
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            colorscale="Blues",
            text=[[str(value) for value in row] for row in matrix],
            texttemplate="%{text}",
            hovertemplate="true %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
            showscale=False,
        ),
        layout=_layout(
            "Confusion matrix",
            xaxis={"title": {"text": "Predicted class"}, "type": "category"},
            yaxis={"title": {"text": "True class"}, "type": "category", "autorange": "reversed"},
        ),
    )
    return figure_json(figure)


def confusion_table(confusion: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["true \\ predicted", *confusion["labels"]]
    rows = [[label, *row] for label, row in zip(confusion["labels"], confusion["matrix"], strict=True)]
    return header, rows


def residuals_figure(residuals: dict[str, list[float]]) -> dict[str, Any]:
    """Residuals (actual − predicted) against predicted values, with the zero line."""
    predicted = residuals["predicted"]
    low, high = (min(predicted), max(predicted)) if predicted else (0.0, 1.0)
    figure = go.Figure(
        [
            go.Scattergl(
                x=predicted,
                y=residuals["residual"],
                mode="markers",
                marker={"color": BLUE, "opacity": 0.6, "size": 6},
                name="rows",
                hovertemplate="predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=[low, high], y=[0, 0], mode="lines", line={"color": RED, "dash": "dash"}, name="zero"
            ),
        ],
        layout=_layout(
            "Residuals",
            xaxis={"title": {"text": "Predicted value"}},
            yaxis={"title": {"text": "Actual − predicted"}},
            showlegend=False,
        ),
    )
    return figure_json(figure)


def residuals_table(residuals: dict[str, list[float]]) -> tuple[list[str], list[list[Any]]]:
    rows = [
        [p, a, r]
        for p, a, r in zip(residuals["predicted"], residuals["actual"], residuals["residual"], strict=True)
    ]
    return ["predicted", "actual", "residual"], rows


def importance_figure(importances: dict[str, float], *, method: str, limit: int = 30) -> dict[str, Any]:
    """Horizontal bars of the most important input columns, largest on top."""
    ranked = importance_ranking(importances)[:limit]
    names = [name for name, _value in reversed(ranked)]
    values = [value for _name, value in reversed(ranked)]
    titles = {
        "impurity": "Feature importance (mean impurity decrease)",
        "coefficient": "Feature importance (|coefficient| on scaled inputs)",
        "permutation": "Feature importance (permutation: score drop when shuffled)",
    }
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker={"color": BLUE},
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        ),
        layout=_layout(
            titles.get(method, "Feature importance"),
            xaxis={"title": {"text": "Importance"}},
            yaxis={"automargin": True, "type": "category"},
            height=max(260, 24 * len(names) + 90),
        ),
    )
    return figure_json(figure)


def importance_ranking(importances: dict[str, float]) -> list[tuple[str, float]]:
    """(column, importance) from the most to the least important (ties by name)."""
    return sorted(importances.items(), key=lambda item: (-item[1], item[0]))


def importance_table(importances: dict[str, float], *, method: str) -> tuple[list[str], list[list[Any]]]:
    rows = [
        [rank, name, value] for rank, (name, value) in enumerate(importance_ranking(importances), start=1)
    ]
    return ["rank", "feature", f"importance ({method})"], rows


def roc_figure(roc: dict[str, list[float]], *, auc: float | None) -> dict[str, Any]:
    """The ROC curve of a two-class model, with the chance diagonal."""
    title = "ROC curve" + (f" (AUC {auc:.3f})" if auc is not None else "")
    figure = go.Figure(
        [
            go.Scatter(x=roc["fpr"], y=roc["tpr"], mode="lines", line={"color": BLUE}, name="model"),
            go.Scatter(
                x=[0, 1], y=[0, 1], mode="lines", line={"color": "#9aa0ac", "dash": "dot"}, name="chance"
            ),
        ],
        layout=_layout(
            title,
            xaxis={"title": {"text": "False positive rate"}, "range": [0, 1]},
            yaxis={"title": {"text": "True positive rate"}, "range": [0, 1.02]},
            showlegend=False,
        ),
    )
    return figure_json(figure)


def roc_table(roc: dict[str, list[float]]) -> tuple[list[str], list[list[Any]]]:
    return ["false_positive_rate", "true_positive_rate"], [
        [f, t] for f, t in zip(roc["fpr"], roc["tpr"], strict=True)
    ]


def search_figure(candidates: list[dict[str, Any]], *, scoring_label: str) -> dict[str, Any]:
    """Each search candidate's cross-validated score (mean ± std), the best one highlighted."""
    best = max(range(len(candidates)), key=lambda i: (candidates[i]["mean"], -i)) if candidates else None
    figure = go.Figure(
        go.Scatter(
            x=list(range(1, len(candidates) + 1)),
            y=[candidate["mean"] for candidate in candidates],
            error_y={"type": "data", "array": [candidate["std"] for candidate in candidates]},
            mode="markers+lines",
            marker={
                "color": [RED if index == best else BLUE for index in range(len(candidates))],
                "size": 8,
            },
            text=[_params_text(candidate["params"]) for candidate in candidates],
            hovertemplate="candidate %{x}<br>%{y:.4g}<br>%{text}<extra></extra>",
        ),
        layout=_layout(
            f"Search: {scoring_label} per candidate",
            xaxis={"title": {"text": "Candidate"}, "dtick": 1},
            yaxis={"title": {"text": scoring_label}},
        ),
    )
    return figure_json(figure)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(params.items()))


def search_table(candidates: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    names = sorted({key for candidate in candidates for key in candidate["params"]})
    rows = [
        [index, candidate["mean"], candidate["std"], *[candidate["params"].get(name) for name in names]]
        for index, candidate in enumerate(candidates, start=1)
    ]
    return ["candidate", "mean_score", "std_score", *names], rows


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """A table as CSV text (numbers written as Python prints them: round-trippable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()

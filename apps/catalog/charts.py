"""Plotly figures and CSV tables built from profile data: pure functions, no ORM, testable alone.

Input is one column of a profile as `selectors.profiling.profile_columns` returns it
(a dict with `name`, `kind`, `histogram`, …). Figures are plain JSON-able dicts that the
page hands to plotly.js; every chart's data is also available as CSV rows.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go

BAR_COLOUR = "#066fd1"  # Tabler's primary
NULL_COLOUR = "#d63939"  # Tabler's red: missing values
FONT = {"family": "inherit", "size": 11}


def _layout(**extra) -> dict[str, Any]:
    layout = {
        "height": 220,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 40},
        "bargap": 0.05,
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def _as_json(figure: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON types (plotly's encoder turns numpy values into lists)."""
    return json.loads(figure.to_json())


def has_chart(column: dict[str, Any]) -> bool:
    """Whether the column has a histogram to draw (not masked, not all null)."""
    histogram = column.get("histogram") or {}
    return not column.get("masked") and bool(histogram.get("counts"))


def histogram_figure(column: dict[str, Any]) -> dict[str, Any] | None:
    """A column's distribution: equal-width bins for numbers and dates, top-value bars for text."""
    if not has_chart(column):
        return None
    histogram = column["histogram"]
    counts = [int(count) for count in histogram["counts"]]
    name = str(column.get("name", ""))
    if histogram.get("type") == "categories":
        labels = [str(label) for label in histogram.get("labels", [])]
        figure = go.Figure(
            go.Bar(
                x=counts[::-1],
                y=labels[::-1],
                orientation="h",
                marker_color=BAR_COLOUR,
                hovertemplate="%{y}: %{x:,} rows<extra></extra>",
            )
        )
        figure.update_layout(
            **_layout(height=max(160, 26 * len(labels) + 50), margin={"l": 110, "r": 12, "t": 8, "b": 32}),
            xaxis={"title": {"text": "rows"}},
            yaxis={"automargin": True, "type": "category"},
        )
        return _as_json(figure)
    edges = histogram.get("edges", [])
    if len(edges) != len(counts) + 1:
        return None
    if column.get("kind") == "temporal":
        starts = edges[:-1]
        ranges = [f"{low} – {high}" for low, high in zip(edges[:-1], edges[1:], strict=True)]
        figure = go.Figure(
            go.Bar(
                x=starts,
                y=counts,
                customdata=ranges,
                marker_color=BAR_COLOUR,
                hovertemplate="%{customdata}: %{y:,} rows<extra></extra>",
            )
        )
        figure.update_layout(
            **_layout(), xaxis={"type": "date", "title": {"text": name}}, yaxis={"title": {"text": "rows"}}
        )
        return _as_json(figure)
    lows = [float(edge) for edge in edges[:-1]]
    highs = [float(edge) for edge in edges[1:]]
    widths = [high - low for low, high in zip(lows, highs, strict=True)]
    centres = [low + width / 2 for low, width in zip(lows, widths, strict=True)]
    if len(counts) == 1:
        widths = [max(abs(lows[0]) * 0.1, 1.0)]
        centres = [lows[0]]
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=counts,
            width=widths,
            customdata=[[low, high] for low, high in zip(lows, highs, strict=True)],
            marker_color=BAR_COLOUR,
            hovertemplate="%{customdata[0]:,.4~g} to %{customdata[1]:,.4~g}: %{y:,} rows<extra></extra>",
        )
    )
    figure.update_layout(**_layout(), xaxis={"title": {"text": name}}, yaxis={"title": {"text": "rows"}})
    return _as_json(figure)


def nulls_figure(columns: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Share of missing values per column, one bar each: where the gaps are at a glance."""
    if not columns:
        return None
    names = [str(column["name"]) for column in columns]
    shares = [round(100 * float(column.get("null_fraction") or 0), 2) for column in columns]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=shares,
            marker_color=NULL_COLOUR,
            hovertemplate="%{x}: %{y:.2f}% missing<extra></extra>",
        )
    )
    figure.update_layout(
        **_layout(height=240, margin={"l": 48, "r": 12, "t": 8, "b": 80}),
        yaxis={"title": {"text": "% missing"}, "rangemode": "tozero"},
        xaxis={"type": "category", "tickangle": -40},
    )
    return _as_json(figure)


def histogram_table(column: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The histogram's data as CSV rows: bins (from, to, rows) or categories (value, rows)."""
    if not has_chart(column):
        return ["value", "rows"], []
    histogram = column["histogram"]
    counts = histogram["counts"]
    if histogram.get("type") == "categories":
        return ["value", "rows"], [
            [label, count] for label, count in zip(histogram["labels"], counts, strict=False)
        ]
    edges = histogram.get("edges", [])
    rows = [
        [edges[index], edges[index + 1], count]
        for index, count in enumerate(counts)
        if index + 1 < len(edges)
    ]
    return ["from", "to", "rows"], rows


SUMMARY_FIELDS = (
    ("name", "column"),
    ("type", "type"),
    ("kind", "kind"),
    ("count", "non-null"),
    ("nulls", "nulls"),
    ("null_fraction", "null fraction"),
    ("distinct", "distinct"),
    ("distinct_approximate", "distinct approximate"),
    ("min", "min"),
    ("max", "max"),
    ("mean", "mean"),
    ("std", "std"),
    ("top_value", "top value"),
    ("top_count", "top value rows"),
    ("masked", "masked (PII)"),
)


def summary_table(columns: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The column table (the nulls chart's data too) as CSV rows."""
    header = [label for _, label in SUMMARY_FIELDS]
    rows = []
    for column in columns:
        top = (column.get("top") or [{}])[0] if column.get("top") else {}
        values = {**column, "top_value": top.get("value"), "top_count": top.get("count")}
        rows.append([values.get(key) for key, _ in SUMMARY_FIELDS])
    return header, rows

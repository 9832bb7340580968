"""Chart builders: profile column dicts in, plotly figure JSON and CSV rows out; no database."""

from __future__ import annotations

import json

from apps.catalog import charts

NUMERIC = {
    "name": "amount",
    "kind": "numeric",
    "null_fraction": 0.25,
    "histogram": {"type": "bins", "edges": [0.0, 1.0, 2.0, 3.0], "counts": [4, 0, 6]},
}
DATES = {
    "name": "signed_up",
    "kind": "temporal",
    "null_fraction": 0.0,
    "histogram": {"type": "bins", "edges": ["2024-01-01", "2024-01-11", "2024-01-21"], "counts": [3, 5]},
}
TEXT = {
    "name": "segment",
    "kind": "string",
    "null_fraction": 0.1,
    "top": [{"value": "retail", "count": 20}, {"value": "public", "count": 10}],
    "histogram": {"type": "categories", "labels": ["retail", "public"], "counts": [20, 10]},
}


def test_numeric_histograms_are_bars_at_bin_centres_with_bin_widths():
    figure = charts.histogram_figure(NUMERIC)
    bar = figure["data"][0]
    assert bar["type"] == "bar"
    assert bar["x"] == [0.5, 1.5, 2.5] and bar["width"] == [1.0, 1.0, 1.0] and bar["y"] == [4, 0, 6]
    assert figure["layout"]["xaxis"]["title"]["text"] == "amount"
    json.dumps(figure)  # plain JSON all the way down


def test_date_histograms_use_a_date_axis_and_show_each_range_on_hover():
    figure = charts.histogram_figure(DATES)
    bar = figure["data"][0]
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert bar["x"] == ["2024-01-01", "2024-01-11"]
    assert bar["customdata"] == ["2024-01-01 – 2024-01-11", "2024-01-11 – 2024-01-21"]


def test_text_columns_get_horizontal_top_value_bars_most_frequent_on_top():
    bar = charts.histogram_figure(TEXT)["data"][0]
    assert bar["orientation"] == "h"
    assert bar["y"] == ["public", "retail"] and bar["x"] == [10, 20]  # plotly draws bottom-up


def test_masked_all_null_and_malformed_columns_have_no_chart():
    assert charts.histogram_figure({**TEXT, "masked": True}) is None
    assert charts.histogram_figure({"name": "nothing", "kind": "numeric"}) is None
    broken = {**NUMERIC, "histogram": {"type": "bins", "edges": [0.0], "counts": [1, 2]}}
    assert charts.histogram_figure(broken) is None


def test_a_constant_column_draws_one_visible_bar():
    constant = {
        "name": "same",
        "kind": "numeric",
        "histogram": {"type": "bins", "edges": [7.0, 7.0], "counts": [5]},
    }
    bar = charts.histogram_figure(constant)["data"][0]
    assert bar["x"] == [7.0] and bar["width"][0] > 0


def test_every_chart_has_its_data_as_csv_rows():
    assert charts.histogram_table(NUMERIC) == (
        ["from", "to", "rows"],
        [[0.0, 1.0, 4], [1.0, 2.0, 0], [2.0, 3.0, 6]],
    )
    assert charts.histogram_table(TEXT) == (["value", "rows"], [["retail", 20], ["public", 10]])
    assert charts.histogram_table({**TEXT, "masked": True}) == (["value", "rows"], [])


def test_the_summary_table_has_one_row_per_column_with_its_top_value():
    header, rows = charts.summary_table([{**TEXT, "count": 27, "nulls": 3}, NUMERIC])
    assert header[0] == "column" and "top value" in header
    first = dict(zip(header, rows[0], strict=True))
    assert (first["column"], first["non-null"], first["top value"], first["top value rows"]) == (
        "segment",
        27,
        "retail",
        20,
    )
    assert dict(zip(header, rows[1], strict=True))["top value"] is None


def test_the_nulls_chart_shows_the_missing_share_per_column():
    figure = charts.nulls_figure([NUMERIC, DATES, TEXT])
    bar = figure["data"][0]
    assert bar["x"] == ["amount", "signed_up", "segment"] and bar["y"] == [25.0, 0.0, 10.0]
    assert charts.nulls_figure([]) is None

"""The experiment charts are pure functions: figures and CSV rows from plain data, no database."""

import json
import math

from apps.experiments import charts


def series(label, steps, values, colour="#000"):
    return charts.Series(label=label, run_id=label * 4, colour=colour, steps=steps, values=values)


def test_a_metric_figure_draws_one_line_per_run_and_skips_runs_without_points():
    figure = charts.metric_figure(
        key="val_loss",
        series=[series("a", [0, 1, 2], [0.9, 0.5, 0.4]), series("b", [], []), series("c", [5], [0.3])],
    )
    assert [trace["name"] for trace in figure["data"]] == ["a", "c"]
    assert figure["data"][0]["mode"] == "lines" and figure["data"][1]["mode"] == "markers"
    assert figure["layout"]["yaxis"]["title"]["text"] == "val_loss"
    json.dumps(figure)  # plain JSON for json_script


def test_a_metric_figure_has_nothing_to_draw_without_points():
    assert charts.metric_figure(key="rmse", series=[series("a", [], [])]) is None


def test_nan_and_infinite_points_become_gaps():
    figure = charts.metric_figure(key="loss", series=[series("a", [0, 1, 2], [1.0, None, math.inf])])
    assert figure["data"][0]["y"] == [1.0, None, None]


def test_run_labels_cannot_inject_hover_placeholders_or_markup():
    figure = charts.metric_figure(key="loss", series=[series("<b>%{y}</b>", [0, 1], [1.0, 0.5])])
    template = figure["data"][0]["hovertemplate"]
    assert "<b>" not in template and "%{y}</b>" not in template
    assert template.startswith("&lt;b&gt;%(y)&lt;/b&gt;")


def test_metric_csv_rows_list_every_point_with_nan_spelled_out():
    rows = charts.metric_csv_rows(
        key="loss",
        series=[
            charts.Series(
                label="a", run_id="r1", colour="#000", steps=[0, 1], values=[0.5, None], timestamps=[10, 20]
            )
        ],
    )
    assert rows == [
        ["run", "run_id", "metric", "step", "value", "timestamp_ms"],
        ["a", "r1", "loss", 0, 0.5, 10],
        ["a", "r1", "loss", 1, "NaN", 20],
    ]


RUNS = [charts.CompareRun("a", "1"), charts.CompareRun("b", "2"), charts.CompareRun("c", "3")]


def test_parallel_coordinates_use_numeric_axes_for_numbers_and_ticks_for_categories():
    figure = charts.parallel_coordinates_figure(
        runs=RUNS,
        params={"max_depth": ["3", "8", "12"], "model": ["forest", "gbm", "forest"]},
        metric_key="accuracy",
        metric_values=[0.9, 0.95, 0.91],
    )
    dimensions = figure["data"][0]["dimensions"]
    assert [d["label"] for d in dimensions] == ["max_depth", "model", "accuracy"]
    assert dimensions[0]["values"] == [3.0, 8.0, 12.0]
    assert dimensions[1]["ticktext"] == ["forest", "gbm"] and dimensions[1]["values"] == [0, 1, 0]
    assert figure["data"][0]["line"]["color"] == [0.9, 0.95, 0.91]


def test_parallel_coordinates_leave_out_runs_without_the_metric_and_need_two():
    figure = charts.parallel_coordinates_figure(
        runs=RUNS, params={"alpha": ["1", "2", "3"]}, metric_key="f1", metric_values=[0.5, None, 0.7]
    )
    assert figure["data"][0]["dimensions"][0]["values"] == [1.0, 3.0]
    assert (
        charts.parallel_coordinates_figure(
            runs=RUNS, params={"alpha": ["1", "2", "3"]}, metric_key="f1", metric_values=[0.5, None, None]
        )
        is None
    )
    assert (
        charts.parallel_coordinates_figure(runs=RUNS, params={}, metric_key="f1", metric_values=[1, 2, 3])
        is None
    )


def test_diff_rows_flag_differences_and_mark_the_best_run_by_the_metrics_direction():
    rows = charts.diff_rows(
        params={"model": ["gbm", "gbm", "gbm"], "depth": ["3", "8", None]},
        metrics={"val_loss": [0.3, 0.2, 0.25], "accuracy": [0.9, 0.95, math.nan], "f1": [0.5, 0.5, 0.5]},
    )
    by_key = {row.key: row for row in rows}
    assert [row.kind for row in rows] == ["param", "param", "metric", "metric", "metric"]
    assert not by_key["model"].differs and by_key["depth"].differs
    assert by_key["val_loss"].best == 1  # lower is better for a loss
    assert by_key["accuracy"].best == 1  # higher is better, NaN ignored
    assert by_key["f1"].best is None and not by_key["f1"].differs


def test_a_plotly_artifact_is_drawn_with_its_layout_minus_external_images():
    content = json.dumps(
        {
            "data": [{"type": "heatmap", "z": [[1, 2], [3, 4]]}],
            "layout": {
                "title": {"text": "Confusion"},
                "images": [{"source": "https://tracker.example/x.png"}],
            },
        }
    ).encode()
    figure, reason = charts.artifact_figure(content)
    assert reason == ""
    assert figure["data"][0]["type"] == "heatmap"
    assert figure["layout"]["title"]["text"] == "Confusion" and "images" not in figure["layout"]


def test_a_plotly_artifact_without_a_type_is_a_scatter():
    figure, _ = charts.artifact_figure(b'{"data": [{"x": [1, 2], "y": [3, 4]}]}')
    assert figure["data"][0]["x"] == [1, 2]


def test_artifacts_that_are_not_safe_figures_are_refused_with_a_reason():
    cases = {
        b"not json": "not valid JSON",
        b'{"layout": {}}': "not a plotly figure",
        b'{"data": [1]}': "not an object",
        b'{"data": [{"type": "scattergeo", "lat": [1]}]}': "scattergeo",
        b'{"data": [{"type": "scattermapbox"}]}': "scattermapbox",
        b"\xff\xfe": "not valid JSON",
    }
    for content, reason in cases.items():
        figure, message = charts.artifact_figure(content)
        assert figure is None and reason in message, content
    big = b'{"data": [], "pad": "' + b"x" * charts.MAX_FIGURE_BYTES + b'"}'
    assert charts.artifact_figure(big)[0] is None


def test_plotly_artifacts_are_recognised_by_their_suffix():
    assert charts.is_plotly_artifact("plots/confusion_matrix.plotly.json")
    assert charts.is_plotly_artifact("PLOTS/X.PLOTLY.JSON")
    assert not charts.is_plotly_artifact("plots/confusion_matrix.json")

"""The mlflow_tracking benchmark's moving parts: a client session driven step by step over pipes
(with the real mlflow client, against the floor app served over HTTP) and the figures a round's
replies make."""

import statistics
import threading
import types
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from benchmarks import mlflow_tracking as bench


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def floor_uri(monkeypatch):
    monkeypatch.setenv("BENCH_FLOOR_POINTS", "7")
    bench._FLOOR_BODIES.clear()
    server = make_server("127.0.0.1", 0, bench.floor_app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    bench._FLOOR_BODIES.clear()


def test_a_floor_session_answers_each_step_with_its_timings(floor_uri, tmp_path):
    options = types.SimpleNamespace(points=7, singles=3, params=2)
    session = bench.Session(bench._session_args("floor", floor_uri, "", options), tmp_path / "session.log")
    try:
        run = session.step("run", 0)
        history = session.step("history", 0)
    finally:
        session.close()

    assert len(run["singles_s"]) == 3
    assert run["batch_s"] > 0 and run["script_s"] >= run["batch_s"] + sum(run["singles_s"])
    assert history["history_s"] > 0
    assert session.steps == ("run", "history")


def test_a_session_that_fails_reports_its_error(floor_uri, tmp_path):
    options = types.SimpleNamespace(points=7, singles=1, params=0)
    session = bench.Session(bench._session_args("floor", floor_uri, "", options), tmp_path / "session.log")

    try:
        with pytest.raises(RuntimeError, match="unknown step 'search'"):
            session.step("search", 0)
    finally:
        session.close()


def test_a_rounds_figures_come_from_its_steps():
    options = types.SimpleNamespace(points=1000)
    steps = [
        ("run", {"batch_s": 0.05, "singles_s": [0.002, 0.004], "script_s": 0.2}),
        ("run", {"batch_s": 0.15, "singles_s": [0.003, 0.003], "script_s": 0.3}),
        ("search", {"search_s": 0.01, "found": 40}),
        ("search", {"search_s": 0.03, "found": 42}),
        ("history", {"history_s": 0.02}),
        ("history", {"history_s": 0.04}),
        ("history", {"history_s": 0.03}),
        ("read_back", {"points_read_back": 2004}),
    ]

    result = bench._round_result(steps, options)

    assert result["log_batch_points_per_s"] == pytest.approx(2 * 1000 / 0.2)
    assert result["log_batch_ms"] == pytest.approx(100)
    assert result["log_metric_calls_per_s"] == pytest.approx(4 / 0.012)  # calls over their total time
    assert result["log_metric_ms"] == pytest.approx(statistics.median([2, 4, 3, 3]))
    assert result["search_ms"] == pytest.approx(20)
    assert result["search_found"] == 42
    assert result["history_ms"] == pytest.approx(30)
    assert result["script_s"] == pytest.approx(0.5)
    assert result["points_read_back"] == 2004


def test_the_floors_round_has_no_search_figures():
    options = types.SimpleNamespace(points=10)
    steps = [
        ("run", {"batch_s": 0.01, "singles_s": [0.001], "script_s": 0.02}),
        ("history", {"history_s": 0.005}),
    ]

    result = bench._round_result(steps, options)

    assert "search_ms" not in result and "script_s" not in result
    assert result["history_ms"] == pytest.approx(5)

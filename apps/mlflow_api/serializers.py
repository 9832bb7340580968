"""MLflow's JSON shapes (mlflow/protos/service.proto) for Atrium's objects; plain functions, no DRF.

Shared by every area of the MLflow API. Inputs are model instances with their relations already
fetched (`run_prefetch`, `experiment_prefetch` in apps/experiments/selectors/tracking.py), so
serializing a page never queries. Times are milliseconds since the epoch; ids are strings;
empty optional fields are left out, as protobuf's JSON does.
"""

from __future__ import annotations

import math
from datetime import datetime

from apps.experiments.models import Experiment, LoggedDataset, LoggedModel, Run
from apps.experiments.validation import stored_metric_value


def millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def key_values(items) -> list[dict]:
    """Tags or params as [{"key", "value"}], from model rows or a dict."""
    if isinstance(items, dict):
        return [{"key": key, "value": value} for key, value in items.items()]
    return [{"key": item.key, "value": item.value} for item in items]


def experiment_json(experiment: Experiment, *, tags=None) -> dict:
    """An Experiment message; tags from `experiment.tags` (prefetched) unless given."""
    data = {
        "experiment_id": str(experiment.pk),
        "name": experiment.name,
        "artifact_location": experiment.artifact_location or f"mlflow-artifacts:/{experiment.pk}",
        "lifecycle_stage": experiment.lifecycle_stage,
        "last_update_time": millis(experiment.updated_at),
        "creation_time": millis(experiment.created_at),
    }
    tag_list = key_values(tags if tags is not None else experiment.tags.all())
    if tag_list:
        data["tags"] = tag_list
    return data


def run_info_json(run: Run) -> dict:
    """A RunInfo message."""
    data = {
        "run_id": run.uuid,
        "run_uuid": run.uuid,
        "run_name": run.name,
        "experiment_id": str(run.experiment_id),
        "user_id": run.user_name,
        "status": run.status,
        "start_time": run.start_time,
        "artifact_uri": run.artifact_uri,
        "lifecycle_stage": run.lifecycle_stage,
    }
    if run.end_time is not None:
        data["end_time"] = run.end_time
    if data["start_time"] is None:
        del data["start_time"]
    return data


def metric_json(key: str, value: float, timestamp: int, step: int, is_nan: bool = False) -> dict:
    """A Metric message; NaN comes back from is_nan (the endpoint writes it as "NaN")."""
    return {"key": key, "value": stored_metric_value(value, is_nan), "timestamp": timestamp, "step": step}


def _dataset_dict(name, digest, source_type, source, schema, profile) -> dict:
    data = {"name": name, "digest": digest, "source_type": source_type, "source": source}
    if schema:
        data["schema"] = schema
    if profile:
        data["profile"] = profile
    return data


def dataset_json(dataset: LoggedDataset) -> dict:
    """A Dataset message."""
    return _dataset_dict(
        dataset.name, dataset.digest, dataset.source_type, dataset.source, dataset.schema, dataset.profile
    )


def run_json(run: Run, parts=None) -> dict:
    """A Run message (info, data, inputs, outputs) from a run fetched with `run_prefetch`.

    Or from a bare run and its `RunParts` (plain tuples from `run_parts`), for search pages.
    """
    if parts is not None:
        metrics = [metric_json(*row) for row in parts.metrics]
        params = [{"key": key, "value": value} for key, value in parts.params]
        tags = [{"key": key, "value": value} for key, value in parts.tags]
        dataset_inputs = [
            {
                "tags": key_values(input_tags or {}),
                "dataset": _dataset_dict(name, digest, source_type, source, schema, profile),
            }
            for input_tags, name, digest, source_type, source, schema, profile in parts.inputs
        ]
        outputs = [{"model_id": model_id, "step": step} for model_id, step in parts.outputs]
    else:
        metrics = [
            metric_json(metric.key, metric.value, metric.timestamp, metric.step, metric.is_nan)
            for metric in run.latest_metrics.all()
        ]
        params = key_values(run.params.all())
        tags = key_values(run.tags.all())
        dataset_inputs = [
            {"tags": key_values(run_input.tags or {}), "dataset": dataset_json(run_input.dataset)}
            for run_input in run.inputs.all()
        ]
        outputs = [
            {"model_id": output.logged_model.model_id, "step": output.step} for output in run.outputs.all()
        ]
    data = {}
    if metrics:
        data["metrics"] = metrics
    if params:
        data["params"] = params
    if tags:
        data["tags"] = tags
    result = {"info": run_info_json(run), "data": data, "inputs": {}}
    if dataset_inputs:
        result["inputs"]["dataset_inputs"] = dataset_inputs
    result["outputs"] = {"model_outputs": outputs} if outputs else {}
    return result


def finite_or_text(value: float):
    """A float for JSON: NaN and ±infinity as MLflow writes them ("NaN", "Infinity", "-Infinity")."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def logged_model_json(model: LoggedModel) -> dict:
    """A LoggedModel message (info, data) from a model fetched with `logged_model_prefetch`.

    Its metrics are its source run's latest metrics (see apps/experiments/selectors/logged_models.py).
    """
    info = {
        "experiment_id": str(model.experiment_id),
        "model_id": model.model_id,
        "name": model.name,
        "artifact_uri": model.artifact_location,
        "creation_timestamp_ms": millis(model.created_at),
        "last_updated_timestamp_ms": millis(model.updated_at),
        "status": model.status,
    }
    if model.model_type:
        info["model_type"] = model.model_type
    if model.source_run_id is not None:
        info["source_run_id"] = model.source_run.uuid
    if model.status_message:
        info["status_message"] = model.status_message
    if model.tags:
        info["tags"] = key_values(model.tags)
    data = {}
    if model.params:
        data["params"] = key_values(model.params)
    if model.source_run_id is not None:
        metrics = [
            {
                **metric_json(metric.key, metric.value, metric.timestamp, metric.step, metric.is_nan),
                "run_id": model.source_run.uuid,
                "model_id": model.model_id,
            }
            for metric in model.source_run.latest_metrics.all()
        ]
        if metrics:
            data["metrics"] = metrics
    return {"info": info, "data": data}

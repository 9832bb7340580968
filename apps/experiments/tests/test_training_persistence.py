"""Model files: skops in MLflow's sklearn layout, loaded by the MLflow client, refused off the allow-list."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io
import yaml
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from apps.experiments.tests import training_data
from apps.experiments.training import persistence
from apps.experiments.training.data import frame_prepare
from apps.experiments.training.estimators import ESTIMATORS, params_validate
from apps.experiments.training.persistence import ModelRefused, Signature, model_files, model_load_trusted
from apps.experiments.training.pipeline import pipeline_build, train

HOLDOUT = {"method": "holdout", "test_size": 0.25}


def trained(estimator="random_forest", frame=None, target="churned", **params):
    frame = training_data.mixed() if frame is None else frame
    data = frame_prepare(
        frame,
        target=target,
        features=[c for c in frame.columns if c != target],
        task="auto",
        validation=HOLDOUT,
    )
    outcome = train(data, estimator_key=estimator, params=params, validation=HOLDOUT, search=None, seed=3)
    signature = Signature(
        inputs=data.signature, target=target, output_type="long", task=data.task, classes=data.classes
    )
    return data, outcome, signature


def write(files: dict[str, bytes], root):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root / "model"


def test_the_model_folder_has_mlflow_sklearn_layout_with_skops(tmp_path):
    data, outcome, signature = trained(n_estimators=10)
    files, facts = model_files(model=outcome.model, signature=signature, run_uuid="a" * 32)
    assert sorted(files) == [
        "model/MLmodel", "model/conda.yaml", "model/model.skops", "model/python_env.yaml",
        "model/requirements.txt", "model/signature.json",
    ]  # fmt: skip
    mlmodel = yaml.safe_load(files["model/MLmodel"])
    flavor = mlmodel["flavors"]["sklearn"]
    assert flavor["serialization_format"] == "skops" and flavor["pickled_model"] == "model.skops"
    assert flavor["skops_trusted_types"] == ["numpy.dtype", "sklearn.tree._tree.Tree"]
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["run_id"] == "a" * 32
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert inputs == [
        {"type": "string", "name": "plan", "required": True},
        {"type": "double", "name": "usage", "required": True},
        {"type": "double", "name": "tenure", "required": True},
    ]
    assert facts["sha256"] == persistence.sha256(files["model/model.skops"])
    assert (
        b"pickle" not in files["model/requirements.txt"]
        and b"scikit-learn==" in files["model/requirements.txt"]
    )
    assert json.loads(files["model/signature.json"])["classes"] == [0, 1]


def test_the_real_mlflow_client_loads_the_model_and_predicts_the_same(tmp_path, monkeypatch):
    import mlflow.models
    import mlflow.sklearn

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")  # MLflow asks this for every format
    data, outcome, signature = trained("hist_gradient_boosting", max_iter=20)
    files, _facts = model_files(model=outcome.model, signature=signature, run_uuid="b" * 32)
    folder = write(files, tmp_path)
    loaded = mlflow.sklearn.load_model(str(folder))
    assert np.array_equal(loaded.predict(data.X), outcome.model.predict(data.X))
    model = mlflow.models.Model.load(str(folder))
    assert model.signature.inputs.input_names() == ["plan", "usage", "tenure"]
    assert model.run_id == "b" * 32


def test_atrium_loads_its_own_tree_model_only_with_the_recorded_digest():
    data, outcome, signature = trained(n_estimators=5)
    blob = persistence.model_dumps(outcome.model)
    loaded = model_load_trusted(blob, expected_sha256=persistence.sha256(blob))
    assert np.array_equal(loaded.predict(data.X), outcome.model.predict(data.X))
    with pytest.raises(ModelRefused) as caught:
        model_load_trusted(blob)
    assert str(caught.value) == (
        "The model file contains types outside Atrium's allow-list: sklearn.tree._tree.Tree. "
        "Atrium does not load it."
    )
    with pytest.raises(ModelRefused) as caught:
        model_load_trusted(blob, expected_sha256="0" * 64)
    assert "its sha256 differs" in str(caught.value)


def test_a_linear_model_loads_without_a_digest():
    data, outcome, _signature = trained("logistic_regression")
    loaded = model_load_trusted(persistence.model_dumps(outcome.model))
    assert np.array_equal(loaded.predict(data.X), outcome.model.predict(data.X))


def test_a_file_that_calls_a_disallowed_function_is_refused_even_with_its_digest():
    import os

    crafted = Pipeline([("evil", FunctionTransformer(func=os.system))])
    blob = skops.io.dumps(crafted)
    assert "posix.system" in skops.io.get_untrusted_types(data=blob)  # what the file asks to trust
    for digest in (None, persistence.sha256(blob)):
        with pytest.raises(ModelRefused) as caught:
            model_load_trusted(blob, expected_sha256=digest)
        assert "posix.system" in str(caught.value) and "Atrium does not load it" in str(caught.value)


def test_a_corrupt_file_is_refused():
    with pytest.raises(ModelRefused) as caught:
        model_load_trusted(b"not a zip file")
    assert str(caught.value) == "The model file could not be read as skops (BadZipFile)."


def test_the_allow_list_covers_every_allowed_estimator():
    frames = {
        "classification": (training_data.mixed(80), "churned"),
        "regression": (training_data.diabetes(), "target"),
    }
    for key, estimator in ESTIMATORS.items():
        for task in estimator.tasks:
            frame, target = frames[task]
            data = frame_prepare(
                frame, target=target, features=[c for c in frame.columns if c != target], task=task,
                validation=HOLDOUT,
            )  # fmt: skip
            params = params_validate(estimator, task, {})
            for name in ("n_estimators", "max_iter"):
                if name in params and key in ("random_forest", "gradient_boosting", "hist_gradient_boosting"):
                    params[name] = 3
            model = pipeline_build(data=data, estimator_key=key, params=params, seed=0).fit(data.X, data.y)
            blob = persistence.model_dumps(model)
            assert set(persistence.types_needed(blob)) <= set(persistence.TRUSTED_TYPES), key
            model_load_trusted(blob, expected_sha256=persistence.sha256(blob))


def test_a_ball_tree_from_many_features_is_allowed():
    frame = training_data.breast_cancer()
    data = frame_prepare(
        frame,
        target="target",
        features=[c for c in frame.columns if c != "target"],
        task="auto",
        validation=HOLDOUT,
    )
    params = params_validate(ESTIMATORS["k_neighbors"], "classification", {"p": 1})
    model = pipeline_build(data=data, estimator_key="k_neighbors", params=params, seed=0).fit(data.X, data.y)
    blob = persistence.model_dumps(model)
    assert set(persistence.types_needed(blob)) <= set(persistence.TRUSTED_TYPES)

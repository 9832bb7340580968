"""Small frames for the training tests: scikit-learn's bundled data sets (nothing downloaded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import datasets


def iris() -> pd.DataFrame:
    """150 flowers, 4 measurements, 3 species as text."""
    bunch = datasets.load_iris(as_frame=True)
    frame = bunch.frame.rename(columns=lambda name: name.replace(" (cm)", "").replace(" ", "_"))
    frame["species"] = [bunch.target_names[index] for index in bunch.target]
    return frame.drop(columns=["target"])


def breast_cancer() -> pd.DataFrame:
    """569 tumours, 30 measurements, a 0/1 target (1 = benign)."""
    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns=lambda name: name.replace(" ", "_"))
    return frame


def diabetes() -> pd.DataFrame:
    """442 patients, 10 measurements, disease progression (a number) as `target`."""
    return datasets.load_diabetes(as_frame=True).frame


def mixed(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Numbers and text with missing values, a binary `churned` target that depends on both."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], size=rows)
    usage = rng.normal(50, 15, size=rows)
    tenure = rng.integers(1, 60, size=rows).astype(float)
    churned = ((plan == "basic") & (usage < 55)) | (tenure < 6)
    frame = pd.DataFrame({"plan": plan, "usage": usage, "tenure": tenure, "churned": churned.astype(int)})
    frame.loc[frame.index % 7 == 0, "usage"] = np.nan
    frame.loc[frame.index % 11 == 0, "plan"] = None
    return frame


# --- database fixtures: import the ones a test module uses -----------------------------------
import pytest  # noqa: E402 - fixtures below need the database and the fixed cast


def add_frame_version(
    dataset, frame: pd.DataFrame, *, media, name: str, number: int = 1, by=None, schema=True
):
    """A stored CSV version of `dataset` holding `frame`, with its schema snapshot (unless told not to)."""
    import hashlib

    from apps.catalog.models import DatasetVersion
    from apps.core.history import acting_user

    path = media / "uploads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    types = {"int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN"}
    columns = [
        {"name": column, "type": types.get(str(dtype), "VARCHAR"), "nullable": True}
        for column, dtype in frame.dtypes.items()
    ]
    with acting_user(by):
        version = DatasetVersion.objects.create(
            dataset=dataset,
            number=number,
            storage_path=f"uploads/{name}",
            producer="upload",
            row_count=len(frame),
            column_count=len(columns),
            schema=columns if schema else [],
            content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        dataset.latest_version = version
        dataset.save()
    return version


@pytest.fixture
def media(tmp_path, settings):
    """Default storage in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "uploads").mkdir(parents=True)
    return tmp_path / "media"


@pytest.fixture
def iris_version(private_dataset, media, alice):
    """Fraud's private dataset holding the iris flowers as a stored CSV."""
    return add_frame_version(private_dataset, iris(), media=media, name="iris.csv", by=alice)


@pytest.fixture
def fraud_experiment(fraud_team, alice):
    """A private experiment of Fraud Analytics."""
    from apps.experiments.services.tracking import experiment_create

    return experiment_create(team=fraud_team, by=alice, name="Iris models")


def iris_spec(version, experiment, **changes) -> dict:
    """A small, fast training spec on the iris version."""
    spec = {
        "dataset_version": version.pk,
        "experiment": experiment.pk,
        "target": "species",
        "estimator": "random_forest",
        "params": {"n_estimators": 20, "max_depth": 4},
        "validation": {"method": "holdout", "test_size": 0.25},
        "seed": 7,
    }
    spec.update(changes)
    return spec

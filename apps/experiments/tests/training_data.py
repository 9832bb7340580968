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

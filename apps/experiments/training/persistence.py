"""Model files: skops (never pickle), an input signature, and MLflow's sklearn-flavor layout.

A trained model is stored under the run's `model/` artifact folder:

    model/MLmodel            MLflow's model description: flavors python_function + sklearn
                             (serialization_format: skops), the signature, the run id
    model/model.skops        the fitted pipeline, serialised by skops (no pickle, no code execution)
    model/requirements.txt   the packages (pinned) the model needs
    model/python_env.yaml    python version and requirements, for MLflow's virtualenv restore
    model/conda.yaml         the same for conda
    model/signature.json     Atrium's own signature: input columns (name, type, kind), target, classes

so `mlflow.sklearn.load_model("runs:/<run id>/model")` works from a client (MLflow asks for
MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true before it loads any format, skops included).

Loading inside Atrium goes through `model_load_trusted` only: skops with a **server-side**
allow-list of types, never the list read from a file (neither MLmodel's `skops_trusted_types`
nor skops' `get_untrusted_types()`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import yaml

MODEL_DIR = "model"
MODEL_FILE = "model.skops"
# Types beyond skops' defaults (which already trust scikit-learn's estimators, numpy arrays and
# Python primitives) that models of the allow-list contain and that hold no executable content.
SAFE_TYPES: tuple[str, ...] = ("numpy.dtype",)
# Types that store raw node or neighbour indices scikit-learn follows without bounds checks: a
# crafted file could make predict() read out of bounds. They are trusted only in a file whose
# sha256 equals the one an Atrium training job recorded when it wrote the file.
NODE_INDEX_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
)
TRUSTED_TYPES: tuple[str, ...] = SAFE_TYPES + NODE_INDEX_TYPES
REQUIREMENTS = ("scikit-learn", "skops", "numpy", "scipy", "pandas")


class ModelRefused(Exception):  # noqa: N818 - reads as the condition it names
    """A model file Atrium will not load (a type outside the allow-list, or a changed file)."""


def model_dumps(model: Any) -> bytes:
    """The fitted pipeline as skops bytes."""
    import skops.io

    return skops.io.dumps(model)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_load_trusted(data: bytes, *, expected_sha256: str | None = None) -> Any:
    """Load skops bytes with Atrium's allow-list of types; ModelRefused for anything else.

    Without `expected_sha256` only `SAFE_TYPES` (plus skops' defaults) load. With it, the file
    must hash to that value (the digest a training job recorded), and then the node-index types
    of tree and neighbour models load too.
    """
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    trusted = list(SAFE_TYPES)
    if expected_sha256 is not None:
        if sha256(data) != expected_sha256:
            raise ModelRefused(
                "The model file is not the one Atrium's training job wrote (its sha256 differs); "
                "Atrium does not load it."
            )
        trusted += NODE_INDEX_TYPES
    try:
        return skops.io.loads(data, trusted=trusted)
    except UntrustedTypesFoundException as error:
        found = _untrusted_names(str(error))
        raise ModelRefused(
            "The model file contains types outside Atrium's allow-list"
            + (f": {', '.join(found)}" if found else "")
            + ". Atrium does not load it."
        ) from None
    except Exception as error:  # noqa: BLE001 - a corrupt file is refused, whatever skops raises
        raise ModelRefused(
            f"The model file could not be read as skops ({error.__class__.__name__})."
        ) from None


def _untrusted_names(message: str) -> list[str]:
    """The type names skops lists in its refusal ("Untrusted types found in the file: ['a', 'b']")."""
    start, end = message.find("["), message.find("]")
    if start == -1 or end <= start:
        return []
    return [part.strip().strip("'\"") for part in message[start + 1 : end].split(",") if part.strip()][:10]


def types_needed(data: bytes) -> list[str]:
    """The allow-listed types this file uses beyond skops' defaults (written to MLmodel for clients)."""
    import skops.io

    # Reading the list here only decides what to *write* for clients; loading never trusts it.
    found = set(skops.io.get_untrusted_types(data=data))
    outside = found - set(TRUSTED_TYPES)
    if outside:
        raise ModelRefused(
            f"The trained model uses types outside the allow-list: {', '.join(sorted(outside))}."
        )
    return sorted(found)


def package_versions(names: tuple[str, ...] = REQUIREMENTS) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class Signature:
    """The model's inputs and output: what a caller must send and what comes back."""

    inputs: list[dict[str, Any]]  # {"name", "type" (MLflow type), "kind" (numeric/categorical)}
    target: str
    output_type: str
    task: str
    classes: list[Any]

    def mlflow(self) -> dict[str, Any]:
        """MLflow's signature block (column specs as JSON text)."""
        inputs = [
            {"type": column["type"], "name": column["name"], "required": True} for column in self.inputs
        ]
        outputs = [{"type": self.output_type, "name": self.target, "required": True}]
        return {"inputs": json.dumps(inputs), "outputs": json.dumps(outputs), "params": None}

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "target": self.target,
            "output_type": self.output_type,
            "task": self.task,
            "classes": [_plain(value) for value in self.classes],
        }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def model_files(
    *, model: Any, signature: Signature, run_uuid: str, artifact_path: str = MODEL_DIR
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The model folder's files ({relative path: bytes}) and facts about them (sha256, size, types)."""
    data = model_dumps(model)
    digest = sha256(data)
    trusted = types_needed(data)
    versions = package_versions()
    python_version = platform.python_version()
    requirements = "\n".join(f"{name}=={version}" for name, version in versions.items()) + "\n"
    mlmodel = {
        "artifact_path": artifact_path,
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "mlflow.sklearn",
                "model_path": MODEL_FILE,
                "predict_fn": "predict",
                "python_version": python_version,
            },
            "sklearn": {
                "code": None,
                "pickled_model": MODEL_FILE,
                "serialization_format": "skops",
                "sklearn_version": versions.get("scikit-learn", ""),
                "skops_trusted_types": trusted,
            },
        },
        "model_size_bytes": len(data),
        "model_uuid": uuid.uuid4().hex,
        "run_id": run_uuid,
        "signature": signature.mlflow(),
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "metadata": {"atrium.model.sha256": digest, "atrium.task": signature.task},
    }
    python_env = {
        "python": python_version,
        "build_dependencies": ["pip"],
        "dependencies": ["-r requirements.txt"],
    }
    conda = {
        "name": "mlflow-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={python_version}", "pip", {"pip": requirements.split()}],
    }
    files = {
        MODEL_FILE: data,
        "MLmodel": yaml.safe_dump(mlmodel, sort_keys=False).encode(),
        "requirements.txt": requirements.encode(),
        "python_env.yaml": yaml.safe_dump(python_env, sort_keys=False).encode(),
        "conda.yaml": yaml.safe_dump(conda, sort_keys=False).encode(),
        "signature.json": json.dumps(signature.as_dict(), indent=2).encode(),
    }
    facts = {
        "sha256": digest,
        "size": len(data),
        "trusted_types": trusted,
        "model_uuid": mlmodel["model_uuid"],
    }
    return {f"{artifact_path}/{name}": content for name, content in files.items()}, facts

"""A run's environment from the files the MLflow client logs with a model.

`mlflow.<flavor>.log_model` writes `requirements.txt` (the pinned packages the model needs) and
`python_env.yaml` (the Python version) next to the model: under the run's artifacts with MLflow 2,
under the logged model's with MLflow 3. When one of them is stored and the run has no environment
yet, the run gets it from there — so "which Python and which scikit-learn" is answered for client
runs too, not only for training jobs (which capture their own and are never overwritten).

The files are parsed, never executed: YAML with `safe_load`, requirements line by line with
`packaging`, both only up to `MAX_BYTES`.
"""

from __future__ import annotations

import logging

import yaml
from django.core.files.storage import default_storage
from packaging.requirements import InvalidRequirement, Requirement

from apps.core.history import acting_user
from apps.experiments.models import Artifact, Run

logger = logging.getLogger(__name__)

ENVIRONMENT_FILES = {"requirements.txt", "python_env.yaml"}
MAX_BYTES = 64 * 1024
MAX_PACKAGES = 500
RECORDED_FROM = "recorded_from"  # marks an environment read from files, which later files may complete


def requirements_parse(text: str) -> dict[str, str]:
    """`{"scikit-learn": "==1.9.1", …}` from a requirements file; options, URLs and junk are skipped."""
    packages: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        version = str(requirement.specifier)
        pinned = version.startswith("==") and "," not in version
        packages[requirement.name.lower()] = version[2:] if pinned else (version or "any")
        if len(packages) >= MAX_PACKAGES:
            break
    return packages


def python_env_parse(text: str) -> dict[str, str]:
    """`{"python": "3.11.7"}` from MLflow's python_env.yaml (other keys are ignored)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    python = document.get("python") if isinstance(document, dict) else None
    return {"python": str(python)[:32]} if isinstance(python, str | int | float) else {}


def _read_text(artifact: Artifact) -> str | None:
    if artifact.size > MAX_BYTES:
        return None
    with default_storage.open(artifact.storage_name, "rb") as handle:
        return handle.read(MAX_BYTES).decode("utf-8", errors="replace")


def is_environment_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in ENVIRONMENT_FILES


def run_environment_from_artifact(*, run: Run | None, artifact: Artifact, by) -> bool:
    """Fill `run.environment` from a stored requirements.txt or python_env.yaml; True if it changed.

    Only a run without an environment, or one whose environment came from such files, is
    changed: what a training job captured is the truth and stays.
    """
    if run is None or not is_environment_file(artifact.path):
        return False
    name = artifact.path.rsplit("/", 1)[-1]
    current = run.environment if isinstance(run.environment, dict) else {}
    if current and RECORDED_FROM not in current:
        return False
    text = _read_text(artifact)
    if text is None:
        return False
    found = requirements_parse(text) if name == "requirements.txt" else python_env_parse(text)
    if not found:
        return False
    environment = dict(current)
    if name == "requirements.txt":
        environment["packages"] = found
    else:
        environment.update(found)
    sources = [source for source in current.get(RECORDED_FROM, []) if source != artifact.path]
    environment[RECORDED_FROM] = [*sources, artifact.path]
    if environment == current:
        return False
    run.environment = environment
    with acting_user(by):
        run.save(update_fields=["environment", "updated_at"])
    return True

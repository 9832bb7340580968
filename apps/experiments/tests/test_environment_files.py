"""A run's environment from the requirements.txt / python_env.yaml the MLflow client logs."""

import pytest

from apps.experiments.services.artifacts import artifact_store_bytes
from apps.experiments.services.environment import python_env_parse, requirements_parse
from apps.experiments.services.tracking import experiment_create, run_create

pytestmark = pytest.mark.django_db

REQUIREMENTS = b"""mlflow==3.17.2
# a comment
scikit-learn==1.9.1  # pinned by the client
numpy>=2,<3
cloudpickle
-r other.txt
--extra-index-url https://example.org/simple
git+https://example.org/pkg.git
"""


def test_requirements_are_parsed_line_by_line_and_junk_is_skipped():
    assert requirements_parse(REQUIREMENTS.decode()) == {
        "mlflow": "3.17.2",
        "scikit-learn": "1.9.1",
        "numpy": "<3,>=2",
        "cloudpickle": "any",
    }


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo pwned']",  # safe_load refuses to build objects
        "python: [1, 2]",
        "- just\n- a list",
        "python: 3.11\n  bad: indentation: here",
    ],
)
def test_python_env_never_executes_or_accepts_anything_but_a_version(text):
    assert python_env_parse(text) == {}


@pytest.fixture
def run(settings, tmp_path, fraud_team, alice):
    settings.MEDIA_ROOT = tmp_path
    experiment = experiment_create(team=fraud_team, name="Env", by=alice)
    return run_create(experiment=experiment, by=alice)


def test_model_files_fill_an_empty_environment_and_record_where_it_came_from(run, alice):
    artifact_store_bytes(run=run, path="model/python_env.yaml", content=b"python: 3.11.7\n", by=alice)
    artifact_store_bytes(run=run, path="model/requirements.txt", content=REQUIREMENTS, by=alice)
    run.refresh_from_db()
    assert run.environment["python"] == "3.11.7"
    assert run.environment["packages"]["scikit-learn"] == "1.9.1"
    assert run.environment["recorded_from"] == ["model/python_env.yaml", "model/requirements.txt"]
    assert run.history.first().environment == run.environment  # the change is in the run's history


def test_an_environment_a_training_job_captured_is_never_overwritten(run, alice):
    captured = {"python": "3.11.7", "packages": {"scikit-learn": "1.9.1"}}
    run.environment = captured
    run.save()
    artifact_store_bytes(run=run, path="model/requirements.txt", content=b"scikit-learn==0.1\n", by=alice)
    run.refresh_from_db()
    assert run.environment == captured


def test_other_files_and_oversized_files_change_nothing(run, alice):
    artifact_store_bytes(run=run, path="notes/readme.txt", content=b"scikit-learn==1.0\n", by=alice)
    artifact_store_bytes(run=run, path="requirements.txt", content=b"x==1\n" * 20_000, by=alice)
    run.refresh_from_db()
    assert run.environment == {}

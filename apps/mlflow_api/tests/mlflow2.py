"""A virtualenv with MLflow 2's client (requirements/mlflow2-client.txt), built once under var/.

The venv is layered over the project's own environment (a .pth file adds its site-packages after
the venv's), so scikit-learn, numpy and pandas are the project's and pip installs only MLflow 2
and the few packages it pins to older versions. A stamp records what it was built from; a
changed requirements file or another project environment rebuilds it. A file lock keeps two
test processes from building it at once.

    python -m apps.mlflow_api.tests.mlflow2      # build (or check) var/mlflow2-venv; prints its python
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
REQUIREMENTS = BASE_DIR / "requirements" / "mlflow2-client.txt"
STAMP = ".atrium-stamp"
PTH = "atrium-project-env.pth"


def _fingerprint(project_site: str) -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes() + project_site.encode()).hexdigest()


def _python(root: Path) -> Path:
    return root / "bin" / "python"


def _site_packages(python: Path) -> str:
    out = subprocess.run(  # noqa: S603 - the venv's own python, fixed arguments
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def ensure_venv(var_dir: Path) -> Path:
    """The python of var/mlflow2-venv, building the venv first if it is missing or stale."""
    root = Path(var_dir) / "mlflow2-venv"
    project_site = sysconfig.get_paths()["purelib"]
    fingerprint = _fingerprint(project_site)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / "mlflow2-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = root / STAMP
        if stamp.exists() and stamp.read_text() == fingerprint and _python(root).exists():
            return _python(root)
        if root.exists():
            shutil.rmtree(root)
        # The base interpreter, not this venv's: the new venv must not inherit the project's mlflow 3.
        venv.EnvBuilder(with_pip=True, symlinks=True).create(root)
        python = _python(root)
        Path(_site_packages(python), PTH).write_text(project_site + "\n")
        subprocess.run(  # noqa: S603 - pip of the venv we built, our requirements file
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(fingerprint)
        return python


def main() -> None:
    # The same folder as settings.VAR_DIR, without starting Django.
    var_dir = Path(os.environ.get("ATRIUM_VAR_DIR") or BASE_DIR / "var")
    print(ensure_venv(var_dir))


if __name__ == "__main__":
    main()

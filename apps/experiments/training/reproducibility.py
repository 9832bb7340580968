"""What makes a training run repeatable: the environment, Atrium's code version, and comparisons.

A reproduction is only meaningful with the same data version, spec, seed, code and packages;
`environment_differences` lists what differs, and `metrics_compare` says whether the metrics
came out the same: *identical* (bit for bit), *within tolerance* (every metric within
`RELATIVE_TOLERANCE` relative or `ABSOLUTE_TOLERANCE` absolute), or *different*.
"""

from __future__ import annotations

import functools
import math
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings

# Training is single-threaded and seeded, so repeated runs are expected to be bit-identical;
# the tolerance absorbs last-bit differences of floating-point libraries (BLAS) between machines.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12
IDENTICAL = "identical"
WITHIN_TOLERANCE = "within_tolerance"
DIFFERENT = "different"
# The packages whose versions decide a trained model's numbers.
ENVIRONMENT_PACKAGES = (
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "duckdb",
    "skops",
    "joblib",
    "threadpoolctl",
    "SQLAlchemy",
)


def environment_capture() -> dict[str, Any]:
    """Python and the versions of the packages that decide a model's numbers."""
    packages = {}
    for name in ENVIRONMENT_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "packages": packages,
    }


@functools.lru_cache(maxsize=1)
def code_version() -> dict[str, Any]:
    """Atrium's code version: the git commit (and whether the tree had changes), else the package version."""
    base = Path(settings.BASE_DIR)
    commit = _git(base, "rev-parse", "HEAD")
    if commit:
        status = _git(base, "status", "--porcelain", "--untracked-files=no")
        return {"git_commit": commit, "git_dirty": bool(status), "version": _atrium_version(base)}
    return {"git_commit": "", "git_dirty": None, "version": _atrium_version(base)}


def _git(base: Path, *args: str) -> str:
    if not (base / ".git").exists():
        return ""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            ["git", "-C", str(base), *args],  # noqa: S607 - git from PATH, as a developer runs it
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def _atrium_version(base: Path) -> str:
    try:
        import tomllib

        with open(base / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, ValueError):
        return ""


def code_label(code: dict[str, Any]) -> str:
    """The code version as people read it: a short commit (with “+ changes”) or the version."""
    if code.get("git_commit"):
        return code["git_commit"][:12] + (" + uncommitted changes" if code.get("git_dirty") else "")
    return f"Atrium {code.get('version') or 'unknown version'}"


def recorded_code(run) -> dict[str, Any]:
    """The code version a training run recorded (Atrium's, in its environment), else its git commit."""
    return (run.environment or {}).get("atrium") or {"git_commit": run.git_commit}


def environment_differences(
    *,
    recorded_code: dict[str, Any],
    recorded_environment: dict[str, Any],
    current_code: dict[str, Any],
    current_environment: dict[str, Any],
) -> list[dict[str, str]]:
    """What differs between the recorded and the current code and environment (what, recorded, now)."""
    differences: list[dict[str, str]] = []
    if recorded_code.get("git_commit") or current_code.get("git_commit"):
        if recorded_code.get("git_commit") != current_code.get("git_commit"):
            differences.append(
                {"what": "Atrium code (git commit)", "recorded": code_label(recorded_code) or "unknown",
                 "now": code_label(current_code)}
            )  # fmt: skip
    elif recorded_code.get("version") != current_code.get("version"):
        differences.append(
            {"what": "Atrium version", "recorded": str(recorded_code.get("version") or "unknown"),
             "now": str(current_code.get("version") or "unknown")}
        )  # fmt: skip
    if recorded_environment.get("python") != current_environment.get("python"):
        differences.append(
            {"what": "Python", "recorded": str(recorded_environment.get("python") or "unknown"),
             "now": str(current_environment.get("python"))}
        )  # fmt: skip
    recorded_packages = recorded_environment.get("packages") or {}
    current_packages = current_environment.get("packages") or {}
    for name in sorted(set(recorded_packages) | set(current_packages)):
        if recorded_packages.get(name) != current_packages.get(name):
            differences.append(
                {"what": name, "recorded": str(recorded_packages.get(name) or "not installed"),
                 "now": str(current_packages.get(name) or "not installed")}
            )  # fmt: skip
    return differences


def differences_text(differences: list[dict[str, str]]) -> str:
    return "; ".join(f"{item['what']}: {item['recorded']} then, {item['now']} now" for item in differences)


def metric_status(recorded: float | None, reproduced: float | None) -> str:
    """identical, within_tolerance or different for one metric (a missing value is different)."""
    if recorded is None or reproduced is None:
        return IDENTICAL if recorded is None and reproduced is None else DIFFERENT
    if recorded == reproduced or (math.isnan(recorded) and math.isnan(reproduced)):
        return IDENTICAL
    if math.isclose(recorded, reproduced, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE):
        return WITHIN_TOLERANCE
    return DIFFERENT


def metrics_compare(recorded: dict[str, float], reproduced: dict[str, float]) -> dict[str, Any]:
    """Per metric: both values, the difference and the status; overall: the worst status."""
    rows = []
    for key in sorted(set(recorded) | set(reproduced)):
        before, after = recorded.get(key), reproduced.get(key)
        status = metric_status(before, after)
        difference = None if before is None or after is None else after - before
        rows.append(
            {"key": key, "recorded": before, "reproduced": after, "difference": difference, "status": status}
        )
    statuses = {row["status"] for row in rows}
    overall = (
        DIFFERENT
        if DIFFERENT in statuses
        else WITHIN_TOLERANCE
        if WITHIN_TOLERANCE in statuses
        else IDENTICAL
    )
    return {
        "status": overall,
        "metrics": rows,
        "tolerance": {"relative": RELATIVE_TOLERANCE, "absolute": ABSOLUTE_TOLERANCE},
    }

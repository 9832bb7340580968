"""Plotly figures for experiment pages: pure functions over plain data, no ORM, testable alone.

Selectors (`apps/experiments/selectors/pages.py`) read restricted querysets and return plain
series and rows; the functions here turn them into JSON-able plotly figures the pages hand to
plotly.js. Every chart's data is also offered as CSV by the views.

Figures a run logs as artifacts: a file named `*.plotly.json` (by convention under `plots/`,
e.g. `plots/confusion_matrix.plotly.json`, `plots/residuals.plotly.json`,
`plots/feature_importance.plotly.json`) holding a plotly figure's JSON (`{"data": [...],
"layout": {...}}`, what `figure.to_json()` writes) is drawn on the run's Artifacts tab.
"""

from __future__ import annotations

PLOTLY_ARTIFACT_SUFFIX = ".plotly.json"
PLOTS_FOLDER = "plots/"


def is_plotly_artifact(path: str) -> bool:
    """Whether an artifact path names a plotly figure the run page draws."""
    return path.lower().endswith(PLOTLY_ARTIFACT_SUFFIX)

"""Template helpers for training pages and the run page's Reproduce panel."""

from __future__ import annotations

import math

from django import template
from django.urls import NoReverseMatch

from apps.experiments.training import reproducibility

register = template.Library()

HEADLINE = (
    "accuracy", "f1", "roc_auc", "precision", "recall", "balanced_accuracy", "rmse", "mae", "r2",
)  # fmt: skip
LABELS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1": "F1",
    "precision": "Precision",
    "recall": "Recall",
    "roc_auc": "ROC AUC",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
}


@register.simple_tag
def run_url(run) -> str:
    """The run's page (empty when the run pages are not installed)."""
    try:
        return run.get_absolute_url()
    except NoReverseMatch:
        return ""


@register.filter
def headline_metrics(metrics: dict) -> list[tuple[str, float]]:
    """The task's main metrics in a fixed order."""
    return [(key, metrics[key]) for key in HEADLINE if key in (metrics or {})]


@register.filter
def metric_label(key: str) -> str:
    return LABELS.get(key, key)


@register.filter
def metric_value(value) -> str:
    """A metric for people: 4 significant digits; NaN and missing as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


@register.filter
def metric_difference(value) -> str:
    """A difference between two metric values, exactly (repr) so last-digit changes show."""
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:+.3g}"


@register.inclusion_tag("experiments/training/_reproduce_panel.html", takes_context=True)
def reproduce_panel(context, run) -> dict:
    """The run page's Reproduce card: the button, a running reproduction, the verdict, the reproductions."""
    from apps.experiments.training import selectors

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or run is None:
        return {"show": False}
    comparison = selectors.run_reproduction_comparison(user=user, run=run)
    reproducible = selectors.run_reproducible(user=user, run=run)
    reproductions = selectors.run_reproductions(user=user, run=run)
    if not (comparison or reproducible or reproductions):
        return {"show": False}
    return {
        "show": True,
        "run": run,
        "comparison": comparison,
        "reproducible": reproducible,
        "reproductions": reproductions,
        "active_job": selectors.run_active_reproduce_job(user=user, run=run) if reproducible else None,
        "tolerance": {
            "relative": f"{reproducibility.RELATIVE_TOLERANCE:g}",
            "absolute": f"{reproducibility.ABSOLUTE_TOLERANCE:g}",
        },
        "csrf_token": context.get("csrf_token"),
    }

"""MLflow's REST routes, mounted at the portal's root so `MLFLOW_TRACKING_URI=<portal URL>` works.

Each area (apps/mlflow_api/views/<area>.py) lists its routes in `ROUTES` as
`(path below the prefix, view, name)`. MLflow serves each route under several prefixes; so do we.
Anything else below these prefixes is ENDPOINT_NOT_FOUND (404, JSON), never 405 or an HTML page.
"""

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from apps.mlflow_api.errors import endpoint_not_found
from apps.mlflow_api.views import artifacts, logged_models, registry, tracking

app_name = "mlflow_api"

# MLflow 2 clients use /api/2.0/mlflow/; MLflow 3 adds routes under /api/3.0/mlflow/ (logged
# models' search, traces …); the browser UI of MLflow uses /ajax-api/2.0/mlflow/.
PREFIXES = ("api/2.0/mlflow/", "ajax-api/2.0/mlflow/", "api/3.0/mlflow/")
ARTIFACT_PREFIXES = ("api/2.0/mlflow-artifacts/", "ajax-api/2.0/mlflow-artifacts/")


def _under(prefixes, route_list):
    """One include per prefix, so a request tries each prefix once, not every route under each."""
    return [
        path(prefix, include([path(route, view, name=name if index == 0 else f"{name}-{index}")
                              for route, view, name in route_list]))
        for index, prefix in enumerate(prefixes)
    ]  # fmt: skip


urlpatterns = [
    *_under(PREFIXES, [*tracking.ROUTES, *logged_models.ROUTES, *registry.ROUTES]),
    *_under(ARTIFACT_PREFIXES, artifacts.ROUTES),
    # CSRF-exempt like every MLflow route: an unknown POST is ENDPOINT_NOT_FOUND, not a CSRF 403.
    re_path(
        r"^(?:ajax-)?api/[23]\.0/mlflow(?:-artifacts)?/.*$", csrf_exempt(endpoint_not_found), name="not-found"
    ),
]

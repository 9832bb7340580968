"""MLflow artifacts routes (see apps/mlflow_api/endpoint.py for how a route is written)."""

ROUTES: list[tuple] = []

"""MLflow routes by area; each module lists its routes in `ROUTES` as (path, view, name)."""

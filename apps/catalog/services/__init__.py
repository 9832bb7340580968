"""Writes and business rules of the catalog, one module per area.

Import from the area module (e.g. `apps.catalog.services.datasets`); the names below
are re-exported for the callers written before the split.
"""

from apps.catalog.services.datasets import (  # noqa: F401
    DATASET_FIELDS,
    dataset_create,
    dataset_delete,
    dataset_name_check,
    dataset_unique_slug,
    dataset_update,
)

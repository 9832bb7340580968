"""Reads of the catalog, one module per area; every one goes through restrict.

Import from the area module (e.g. `apps.catalog.selectors.datasets`); the names below
are re-exported for the callers written before the split.
"""

from apps.catalog.selectors.datasets import (  # noqa: F401
    DEFAULT_DATASET_SORT,
    dataset_creatable_teams,
    dataset_created_by,
    dataset_get,
    dataset_list,
    dataset_owners,
    dataset_user_may,
)

"""Forms of the catalog, one module per area.

Import from the area module (e.g. `apps.catalog.forms.datasets`); the names below
are re-exported for the callers written before the split.
"""

from apps.catalog.forms.datasets import (  # noqa: F401
    DatasetFilterForm,
    DatasetForm,
)

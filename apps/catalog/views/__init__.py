"""HTML views of the catalog, one module per area.

Import from the area module (e.g. `apps.catalog.views.datasets`); the names below
are re-exported for the callers written before the split.
"""

from apps.catalog.views.datasets import (  # noqa: F401
    DatasetCreateView,
    DatasetEditView,
    DatasetExportView,
    DatasetHistoryView,
    DatasetListView,
    DatasetMixin,
    DatasetView,
)

from django.urls import path

from apps.catalog.views import access as access_views
from apps.catalog.views import datasets as views
from apps.catalog.views import glossary as glossary_views
from apps.catalog.views import pipelines as pipeline_views
from apps.catalog.views import profiling as profiling_views
from apps.catalog.views import sources as source_views
from apps.catalog.views import versions as version_views

app_name = "catalog"
urlpatterns = [
    path("datasets/", views.DatasetListView.as_view(), name="dataset_list"),
    path("datasets/export.csv", views.DatasetExportView.as_view(), name="dataset_export"),
    path("datasets/new/", views.DatasetCreateView.as_view(), name="dataset_create"),
    path("datasets/<int:pk>/", views.DatasetView.as_view(), name="dataset_detail"),
    path("datasets/<int:pk>/edit/", views.DatasetEditView.as_view(), name="dataset_edit"),
    path("datasets/<int:pk>/history/", views.DatasetHistoryView.as_view(), name="dataset_history"),
]

# Access requests: the dataset's Access tab, the queue, asking by reference, decisions, history.
urlpatterns += [
    path("datasets/<int:pk>/access/", access_views.DatasetAccessView.as_view(), name="dataset_access"),
    path("access-requests/", access_views.AccessRequestListView.as_view(), name="access_request_list"),
    path(
        "access-requests/new/", access_views.AccessRequestCreateView.as_view(), name="access_request_create"
    ),
    path("access-requests/<int:pk>/", access_views.AccessRequestView.as_view(), name="access_request_detail"),
    path(
        "access-requests/<int:pk>/history/",
        access_views.AccessRequestHistoryView.as_view(),
        name="access_request_history",
    ),
] + [
    path(
        f"access-requests/<int:pk>/{operation}/",
        access_views.AccessRequestActionView.as_view(operation=operation),
        name=f"access_request_{operation}",
    )
    for operation in ("approve", "deny", "revoke", "withdraw")
]

# Glossary and tags: terms, tag pages, a dataset's tags and terms.
urlpatterns += [
    path("glossary/", glossary_views.GlossaryTermListView.as_view(), name="term_list"),
    path("glossary/new/", glossary_views.GlossaryTermCreateView.as_view(), name="term_create"),
    path("glossary/<slug:slug>/", glossary_views.GlossaryTermView.as_view(), name="term_detail"),
    path("glossary/<slug:slug>/edit/", glossary_views.GlossaryTermEditView.as_view(), name="term_edit"),
    path(
        "glossary/<slug:slug>/history/", glossary_views.GlossaryTermHistoryView.as_view(), name="term_history"
    ),
    path("tags/", glossary_views.TagListView.as_view(), name="tag_list"),
    path("tags/<slug:slug>/", glossary_views.TagView.as_view(), name="tag_detail"),
    path(
        "datasets/<int:pk>/labels/",
        glossary_views.DatasetLabelsEditView.as_view(),
        name="dataset_labels_edit",
    ),
]

# Profiling: the Profile tab, Profile now, the job's progress, chart data as CSV, the preview partial.
urlpatterns += [
    path("datasets/<int:pk>/profile/", profiling_views.DatasetProfileView.as_view(), name="dataset_profile"),
    path(
        "datasets/<int:pk>/profile/start/",
        profiling_views.DatasetProfileStartView.as_view(),
        name="dataset_profile_start",
    ),
    path(
        "datasets/<int:pk>/profile/progress/",
        profiling_views.DatasetProfileProgressView.as_view(),
        name="dataset_profile_progress",
    ),
    path(
        "datasets/<int:pk>/profile/export.csv",
        profiling_views.DatasetProfileExportView.as_view(),
        name="dataset_profile_export",
    ),
    path("datasets/<int:pk>/preview/", profiling_views.DatasetPreviewView.as_view(), name="dataset_preview"),
]

# Sources (list, register each kind, detail with Test connection / Sync jobs, edit, history) and
# versions (the dataset's Schema tab, inline column edits, a version's page, new-version uploads).
urlpatterns += [
    path("pipelines/", pipeline_views.PipelineListView.as_view(), name="pipeline_list"),
    path("pipelines/<int:pk>/", pipeline_views.PipelineView.as_view(), name="pipeline_detail"),
    path("sources/", source_views.SourceListView.as_view(), name="source_list"),
    path("sources/upload/", source_views.SourceUploadView.as_view(), name="source_upload"),
    path("sources/new/<slug:kind>/", source_views.SourceCreateView.as_view(), name="source_create"),
    path("sources/<int:pk>/", source_views.SourceView.as_view(), name="source_detail"),
    path("sources/<int:pk>/edit/", source_views.SourceEditView.as_view(), name="source_edit"),
    path("sources/<int:pk>/history/", source_views.SourceHistoryView.as_view(), name="source_history"),
    path("sources/<int:pk>/delete/", source_views.SourceDeleteView.as_view(), name="source_delete"),
    path(
        "sources/<int:pk>/test/",
        source_views.SourceJobStartView.as_view(operation="test"),
        name="source_test",
    ),
    path(
        "sources/<int:pk>/sync/",
        source_views.SourceJobStartView.as_view(operation="sync"),
        name="source_sync",
    ),
    path("datasets/<int:pk>/schema/", version_views.DatasetSchemaView.as_view(), name="dataset_schema"),
    path(
        "datasets/<int:pk>/columns/<int:column_pk>/edit/",
        version_views.ColumnEditView.as_view(),
        name="column_edit",
    ),
    path("datasets/<int:pk>/upload/", version_views.DatasetUploadView.as_view(), name="dataset_upload"),
    path(
        "datasets/<int:pk>/versions/<int:number>/", version_views.VersionView.as_view(), name="version_detail"
    ),
]

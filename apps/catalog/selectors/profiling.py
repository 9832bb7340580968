"""Profiling reads: a dataset's profiles and previews, through `restrict`, with PII masked server-side.

Masking rule: people who may `change` the dataset (its team's editors, superusers) see
everything. Everyone else who may see it — analysts, holders of a grant, other teams on an
internal dataset — gets "•••" for every cell of a PII column in previews, and only the
counts (rows, nulls, distinct) of a PII column in profiles: no top values, extremes,
means or histograms, which would reveal individual values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from apps.catalog.models import Column, Dataset, DatasetProfile, DatasetVersion
from apps.catalog.profiling import ProfilingError
from apps.catalog.profiling.common import MASK
from apps.core.permissions import Action

DEFAULT_PREVIEW_ROWS = 50
PREVIEW_TIMEOUT_SECONDS = 20
# Statistics that stay visible on a masked PII column: counts, never values.
PII_SAFE_STATISTICS = (
    "position",
    "type",
    "kind",
    "count",
    "nulls",
    "null_fraction",
    "distinct",
    "distinct_approximate",
)


def dataset_version_get(*, user, dataset: Dataset, number: Any = None) -> DatasetVersion | None:
    """The version numbered `number` (404 if missing or not a number), else the latest; None if none yet."""
    versions = DatasetVersion.objects.restrict(user, Action.VIEW).filter(dataset=dataset)
    if number in (None, ""):
        return versions.order_by("-number").first()
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    version = versions.filter(number=wanted).first()
    if version is None:
        raise Http404("No such version.")
    return version


def dataset_version_numbers(*, user, dataset: Dataset, limit: int = 50) -> list[int]:
    """The newest version numbers of the dataset, for a version picker."""
    versions = DatasetVersion.objects.restrict(user, Action.VIEW).filter(dataset=dataset)
    return list(versions.order_by("-number").values_list("number", flat=True)[:limit])


def dataset_profile_get(
    *, user, dataset: Dataset, version: DatasetVersion | None = None
) -> DatasetProfile | None:
    """The newest profile of `version` (or of the dataset's newest profiled version), if any."""
    profiles = (
        DatasetProfile.objects.restrict(user, Action.VIEW)
        .filter(version__dataset=dataset)
        .select_related("version", "job", "job__requester")
    )
    if version is not None:
        profiles = profiles.filter(version=version)
    return profiles.order_by("-version__number", "-created_at", "-pk").first()


def dataset_sees_pii(*, user, dataset: Dataset) -> bool:
    """Whether `user` sees PII unmasked: only with `change` on the dataset."""
    return Dataset.objects.restrict(user, Action.CHANGE).filter(pk=dataset.pk).exists()


def dataset_pii_columns(*, user, dataset: Dataset) -> set[str]:
    """Names of the dataset's columns flagged as PII."""
    return set(
        Column.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset, is_pii=True)
        .values_list("name", flat=True)
    )


def profile_columns(
    *, profile: DatasetProfile, masked: set[str] | frozenset[str] = frozenset()
) -> list[dict]:
    """The profile's columns in table order, with `name`; PII columns in `masked` keep counts only."""
    rows = []
    for name, stats in (profile.columns or {}).items():
        if not isinstance(stats, dict):
            continue
        if name in masked:
            row = {key: stats[key] for key in PII_SAFE_STATISTICS if key in stats}
            row["masked"] = True
        else:
            row = dict(stats)
            row["masked"] = False
        row["name"] = name
        rows.append(row)
    rows.sort(key=lambda row: (row.get("position", 0), row["name"]))
    return rows


@dataclass
class ProfileView:
    """What the Profile tab and the API show: the profile and its columns, masked for this user."""

    profile: DatasetProfile
    columns: list[dict] = field(default_factory=list)
    masked: set[str] = field(default_factory=set)


def dataset_profile_view(
    *, user, dataset: Dataset, version: DatasetVersion | None = None
) -> ProfileView | None:
    """The profile to show `user`, with PII columns masked unless they may change the dataset."""
    profile = dataset_profile_get(user=user, dataset=dataset, version=version)
    if profile is None:
        return None
    masked = (
        set()
        if dataset_sees_pii(user=user, dataset=dataset)
        else dataset_pii_columns(user=user, dataset=dataset)
    )
    return ProfileView(
        profile=profile, columns=profile_columns(profile=profile, masked=masked), masked=masked
    )


def preview_limit(value: Any, *, default: int = DEFAULT_PREVIEW_ROWS) -> int:
    """A row limit from user input: an integer from 1 to PREVIEW_MAX_ROWS; ValueError otherwise."""
    if value in (None, ""):
        return default
    limit = int(value)  # ValueError for text
    if limit < 1 or limit > settings.PREVIEW_MAX_ROWS:
        raise ValueError(f"Ask for 1 to {settings.PREVIEW_MAX_ROWS} rows.")
    return limit


@dataclass
class Preview:
    """The first rows of a version as `user` may see them (PII cells already replaced by the mask)."""

    version: DatasetVersion
    columns: list[dict]
    rows: list[list[Any]]
    limit: int
    masked: list[str]


def dataset_preview(*, user, dataset: Dataset, version: DatasetVersion, limit: int) -> Preview:
    """Read the first `limit` rows of `version` and mask PII before anything renders or serialises them."""
    from apps.catalog.profiling import FileTarget
    from apps.catalog.services.profiling import version_data_target

    with version_data_target(version=version) as target:
        if isinstance(target, FileTarget):
            from apps.catalog.profiling.files import preview_file

            result = preview_file(target.path, fmt=target.file_format, limit=limit)
        else:
            from apps.catalog.profiling.sql import preview_table

            result = preview_table(target.url, target.table, limit=limit, timeout=PREVIEW_TIMEOUT_SECONDS)
    pii = dataset_pii_columns(user=user, dataset=dataset)
    masked = (
        []
        if not pii or dataset_sees_pii(user=user, dataset=dataset)
        else [c["name"] for c in result.columns if c["name"] in pii]
    )
    hidden = {index for index, column in enumerate(result.columns) if column["name"] in set(masked)}
    rows = [[MASK if index in hidden else cell for index, cell in enumerate(row)] for row in result.rows]
    columns = [
        {**column, "pii": column["name"] in pii, "masked": column["name"] in set(masked)}
        for column in result.columns
    ]
    return Preview(version=version, columns=columns, rows=rows, limit=limit, masked=masked)


@dataclass
class VersionFrame:
    """A version's rows for analysis (training, checks): a pandas DataFrame capped at `max_rows`."""

    version: DatasetVersion
    frame: Any  # pandas.DataFrame
    truncated: bool  # the version has more rows than `max_rows`; the first ones were read
    columns: list[dict]  # name and source type of each column read, in order
    max_rows: int


def version_frame(
    *, user, version: DatasetVersion, columns: list[str] | None = None, max_rows: int
) -> VersionFrame:
    """Read the first `max_rows` rows of `version` (only `columns` if given) as a pandas DataFrame.

    The reader must see the version (404 otherwise). PII is never masked here, since masked
    cells would be useless for analysis: a reader who may not see PII unmasked (see
    `dataset_sees_pii`) is refused any PII column with a ProfilingError naming it. Rows
    come in the file's order, or the table's primary-key order, so the same version and
    cap always give the same rows.
    """
    from apps.catalog.profiling import FileTarget
    from apps.catalog.services.profiling import version_data_target

    if max_rows < 1:
        raise ValueError("max_rows must be at least 1.")
    if not DatasetVersion.objects.restrict(user, Action.VIEW).filter(pk=version.pk).exists():
        raise Http404("No such version.")
    dataset = version.dataset
    pii = dataset_pii_columns(user=user, dataset=dataset)
    wanted = list(columns) if columns is not None else [c.get("name") for c in version.schema or []]
    refused = [name for name in wanted if name in pii]
    if refused and not dataset_sees_pii(user=user, dataset=dataset):
        raise ProfilingError(
            f"The column{'s' if len(refused) > 1 else ''} {', '.join(refused[:5])} "
            f"{'are' if len(refused) > 1 else 'is'} flagged as personal data (PII) in {dataset.name}; "
            "only people who may edit the dataset can read them unmasked."
        )
    with version_data_target(version=version) as target:
        if isinstance(target, FileTarget):
            from apps.catalog.profiling.files import read_file_frame

            result = read_file_frame(target.path, fmt=target.file_format, columns=columns, limit=max_rows)
        else:
            from apps.catalog.profiling.sql import read_table_frame

            result = read_table_frame(target.url, target.table, columns=columns, limit=max_rows)
    if columns is None and pii and not dataset_sees_pii(user=user, dataset=dataset):
        hidden = [column["name"] for column in result.columns if column["name"] in pii]
        if hidden:
            raise ProfilingError(
                f"{dataset.name} has columns flagged as personal data (PII): {', '.join(hidden[:5])}; "
                "choose the columns to read without them."
            )
    return VersionFrame(
        version=version,
        frame=result.frame,
        truncated=result.truncated,
        columns=result.columns,
        max_rows=max_rows,
    )


def dataset_profile_job(*, user, dataset: Dataset):
    """The newest profiling job of this dataset that `user` may see (None if none)."""
    from apps.catalog.jobs_profiling import KIND
    from apps.jobs.models import Job

    return (
        Job.objects.restrict(user, Action.VIEW)
        .filter(
            kind=KIND,
            target_type=ContentType.objects.get_for_model(Dataset),
            target_id=str(dataset.pk),
        )
        .select_related("requester")
        .order_by("-created_at", "-pk")
        .first()
    )


__all__ = ["ProfilingError"]

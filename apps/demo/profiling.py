"""Demo profiles: each demo dataset version Atrium can read gets a profile, so Profile tabs are alive."""

from __future__ import annotations

import logging

from apps.catalog.models import Dataset, DatasetProfile

logger = logging.getLogger(__name__)


def demo_profiles_ensure(*, by) -> dict[str, int]:
    """Profile the latest version of each dataset that has none yet (idempotent; unreadable ones skipped)."""
    from apps.catalog.profiling import ProfilingError
    from apps.catalog.services.profiling import version_profile_create

    created = 0
    datasets = Dataset.objects.select_related("latest_version", "source").exclude(latest_version=None)
    for dataset in datasets:
        version = dataset.latest_version
        if DatasetProfile.objects.filter(version=version).exists():
            continue
        try:
            version_profile_create(version=version, by=by)
        except ProfilingError as error:
            logger.info("Demo: %s version %s not profiled: %s", dataset.name, version.number, error)
            continue
        created += 1
    return {"profiles": created} if created else {}

"""Navigation for the base layout: one entry per area, marking the ones not built yet.

Runs on every page, so it never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str  # a Tabler icon name
    group: str  # sidebar heading; "" for the top entry
    built: bool = True
    # Pages under this entry's URL that belong elsewhere (e.g. the notification inbox under /community/).
    excludes: tuple[str, ...] = ()


NAVIGATION: list[NavEntry] = [
    NavEntry("Home", "home", "home", ""),
    NavEntry("Catalog", "catalog:dataset_list", "database", "Data"),
    NavEntry("Sources", "catalog:source_list", "plug-connected", "Data"),
    NavEntry("Pipelines", "catalog:pipeline_list", "route", "Data"),
    NavEntry("Glossary", "catalog:term_list", "book", "Data"),
    NavEntry("Access requests", "catalog:access_request_list", "lock-access", "Data"),
    NavEntry("Quality", "section:quality", "shield-check", "Data", built=False),
    NavEntry("Community", "community:home", "messages", "Data", excludes=("community:notification_list",)),
    NavEntry("Ideas", "community:idea_list", "bulb", "Data"),
    NavEntry("Experiments", "experiments:experiment_list", "flask", "Machine learning"),
    NavEntry("Models", "registry:model_list", "box", "Machine learning"),
    NavEntry("SLAs", "section:slas", "target-arrow", "Operations", built=False),
    NavEntry("Dashboards", "section:dashboards", "chart-bar", "Operations", built=False),
    NavEntry("Search", "search:search", "search", "Operations"),
    NavEntry("Jobs", "jobs:job_list", "player-play", "Operations"),
    NavEntry("Teams", "teams:team_list", "users-group", "Organisation"),
    NavEntry("Activity", "community:activity", "activity", "Organisation"),
    NavEntry("Announcements", "community:announcement_list", "speakerphone", "Organisation"),
]

# An asset's Discussions and Activity tabs live under /community/ but belong to the asset's own
# area: the sidebar marks that area's entry, by the asset's model label, else by its app.
ASSET_TAB_ROUTES = {"community:asset_discussions", "community:asset_activity"}
ASSET_AREAS = {
    "catalog.source": "catalog:source_list",
    "catalog.glossaryterm": "catalog:term_list",
    "catalog": "catalog:dataset_list",
    "experiments": "experiments:experiment_list",
    "registry": "registry:model_list",
    "community.idea": "community:idea_list",
    "teams": "teams:team_list",
}

# Where the search box sends its query (apps/search).
SEARCH_URL_NAME = "search:search"


def _reverse_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _matches(entry: NavEntry, url: str | None, path: str) -> bool:
    if url is None:
        return False
    if url == "/":
        return path == url
    if not path.startswith(url):
        return False
    return not any(
        (excluded := _reverse_or_none(name)) and path.startswith(excluded) for name in entry.excludes
    )


def _asset_area(request) -> str | None:
    """The nav entry (URL name) of the asset whose Discussions or Activity tab this page is."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in ASSET_TAB_ROUTES:
        return None
    label = str(match.kwargs.get("label", ""))
    return ASSET_AREAS.get(label) or ASSET_AREAS.get(label.split(".")[0])


def navigation(request) -> dict:
    """Sidebar entries grouped by area, the active one marked, plus layout flags."""
    path = request.path
    urls = {entry.url_name: _reverse_or_none(entry.url_name) for entry in NAVIGATION}
    # The longest entry URL the path starts with is the active one (/community/ideas/ over /community/).
    matching = [urls[entry.url_name] for entry in NAVIGATION if _matches(entry, urls[entry.url_name], path)]
    current = max(matching, key=len, default=None)
    if (area := _asset_area(request)) is not None:
        current = urls.get(area) or current
    groups: list[dict] = []
    for entry in NAVIGATION:
        url = urls[entry.url_name]
        if url is None:
            continue
        active = url == current
        item = {"label": entry.label, "url": url, "icon": entry.icon, "active": active, "built": entry.built}
        if not groups or groups[-1]["label"] != entry.group:
            groups.append({"label": entry.group, "items": []})
        groups[-1]["items"].append(item)
    return {
        "navigation": [item for group in groups for item in group["items"]],
        "navigation_groups": groups,
        "search_url": _reverse_or_none(SEARCH_URL_NAME) or "",
        "show_demo_hint": settings.DEBUG,
    }

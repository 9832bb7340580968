"""Navigation for the base layout: one entry per area, marking the ones not built yet."""

from django.urls import NoReverseMatch, reverse

NAVIGATION = [
    # (label, url name, Tabler icon, built?)
    ("Home", "home", "home"),
    ("Catalog", "catalog:dataset_list", "database"),
    ("Quality", "section:quality", "shield-check"),
    ("Community", "section:community", "messages"),
    ("Experiments", "section:experiments", "flask"),
    ("Models", "section:models", "box"),
    ("SLAs", "section:slas", "target-arrow"),
    ("Dashboards", "section:dashboards", "chart-bar"),
    ("Search", "section:search", "search"),
    ("Jobs", "jobs:job_list", "player-play"),
    ("Teams", "teams:team_list", "users-group"),
]


def navigation(request):
    items = []
    path = request.path
    for label, url_name, icon in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": label, "url": url, "icon": icon, "active": active})
    return {"navigation": items}

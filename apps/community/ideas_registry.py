"""Ideas, announcements and the activity feed plug into `core` here (called from CommunityConfig.ready()).

- Idea is a registered asset (so discussions, follows, lineage pickers and the activity feed reach
  it) and a searchable type (status as the search facet);
- announcements are a home page panel;
- the community activity feed becomes the one the home page and team pages show.
"""

from __future__ import annotations

from apps.core.assets import SearchEntry, register_asset, register_search


def idea_document(idea) -> SearchEntry:
    """An idea: title; description and team as body; its status as the facet."""
    return SearchEntry(
        title=idea.title,
        body=" ".join(part for part in (idea.description, idea.team.name) if part),
        team_id=idea.team_id,
        visibility=idea.visibility,
        url=idea.get_absolute_url(),
        status=idea.get_status_display().lower(),
    )


def register() -> None:
    from apps.community.models import Idea

    register_asset(Idea, label="Idea", icon="bulb", section="community")
    register_search(Idea, document=idea_document, queryset=lambda: Idea.objects.select_related("team"))
    _register_activity()
    _register_home_panels()


def _register_activity() -> None:
    from apps.community.selectors.activity import activity_page_url, activity_recent
    from apps.core.activity import set_activity_provider

    set_activity_provider(recent=activity_recent, url=activity_page_url)


def _register_home_panels() -> None:
    from apps.community.selectors.announcements import announcement_home_panel
    from apps.core.home import register_home_panel

    register_home_panel(
        "announcements",
        template="community/_announcement_home.html",
        context=announcement_home_panel,
        order=10,
    )

"""Reads for the idea board: every query starts from `Idea.objects.restrict(user, action)`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from apps.community.models import OPEN_STATUSES, Idea, IdeaLink, IdeaStatus, IdeaStatusChange, IdeaVote
from apps.community.selectors.assets import asset_model, resolve_assets
from apps.core.assets import asset_type
from apps.core.permissions import Action

# Public sort keys → ORM ordering (the last term keeps pages stable). "hot" is documented in
# services/ideas.py (idea_hot_score) and docs/community-ideas.md.
IDEA_SORTS: dict[str, tuple[str, ...]] = {
    "hot": ("-hot_score", "-id"),
    "top": ("-vote_count", "-created_at", "-id"),
    "new": ("-created_at", "-id"),
}
DEFAULT_IDEA_SORT = "hot"
# Besides each status: "open" (still taking votes) and "closed" (done or declined).
STATUS_FILTERS = ("open", "closed", *IdeaStatus.values)


def _status_filter(ideas: QuerySet, status: str) -> QuerySet:
    if status == "open":
        return ideas.filter(status__in=OPEN_STATUSES)
    if status == "closed":
        return ideas.exclude(status__in=OPEN_STATUSES)
    if status in IdeaStatus.values:
        return ideas.filter(status=status)
    return ideas


def _linked_to_type(*, user, label: str) -> QuerySet:
    """Ids of ideas with a link the reader can see to an asset of type `label`."""
    try:
        model = asset_model(label)
    except Http404:
        return IdeaLink.objects.none().values("idea_id")
    content_type = ContentType.objects.get_for_model(model)
    return IdeaLink.objects.restrict(user, Action.VIEW).filter(target_type=content_type).values("idea_id")


def _linked_to(*, user, asset: models.Model) -> QuerySet:
    content_type = ContentType.objects.get_for_model(asset)
    return (
        IdeaLink.objects.restrict(user, Action.VIEW)
        .filter(target_type=content_type, target_id=asset.pk)
        .values("idea_id")
    )


def idea_list(
    *,
    user,
    status: str = "",
    team=None,
    asset_type: str = "",
    asset: models.Model | None = None,
    text: str = "",
    sort: str = DEFAULT_IDEA_SORT,
    author=None,
) -> QuerySet[Idea]:
    """Ideas `user` may see, filtered and sorted, each with `has_voted` for the reader (one query)."""
    ideas = (
        Idea.objects.restrict(user, Action.VIEW)
        .select_related("team", "author")
        .annotate(has_voted=Exists(IdeaVote.objects.filter(idea=OuterRef("pk"), user_id=user.pk)))
    )
    ideas = _status_filter(ideas, status)
    if team is not None:
        ideas = ideas.filter(team=team)
    if author is not None:
        ideas = ideas.filter(author=author)
    if asset_type:
        ideas = ideas.filter(pk__in=_linked_to_type(user=user, label=asset_type))
    if asset is not None:
        ideas = ideas.filter(pk__in=_linked_to(user=user, asset=asset))
    text = (text or "").strip()
    if text:
        ideas = ideas.filter(Q(title__icontains=text) | Q(description__icontains=text))
    return ideas.order_by(*IDEA_SORTS.get(sort, IDEA_SORTS[DEFAULT_IDEA_SORT]))


def idea_status_counts(*, user, team=None, asset_type: str = "", text: str = "") -> dict[str, int]:
    """How many visible ideas are in each status under the other filters (one grouped query)."""
    ideas = idea_list(user=user, team=team, asset_type=asset_type, text=text).order_by()
    counts = dict.fromkeys(IdeaStatus.values, 0)
    for row in ideas.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
    counts["closed"] = sum(counts[s] for s in IdeaStatus.values if s not in OPEN_STATUSES)
    counts["all"] = counts["open"] + counts["closed"]
    return counts


def idea_get(*, user, pk) -> Idea:
    """The idea if `user` may see it, else 404 (never 403: no existence leak)."""
    idea = (
        Idea.objects.restrict(user, Action.VIEW)
        .select_related("team", "author")
        .annotate(has_voted=Exists(IdeaVote.objects.filter(idea=OuterRef("pk"), user_id=user.pk)))
        .filter(pk=pk)
        .first()
    )
    if idea is None:
        raise Http404("No such idea.")
    return idea


@dataclass
class LinkedAsset:
    """One link of an idea, with its asset resolved for the reader."""

    link: IdeaLink
    asset: models.Model
    label: str
    icon: str

    @property
    def url(self) -> str:
        try:
            return self.asset.get_absolute_url()
        except Exception:  # noqa: BLE001 - a page not built yet: show the name without a link
            return ""


def idea_links(*, user, idea: Idea) -> list[LinkedAsset]:
    """The idea's links to assets the reader may see (hidden ones are not counted or named)."""
    links = list(IdeaLink.objects.restrict(user, Action.VIEW).filter(idea=idea).order_by("id"))
    assets = resolve_assets(user=user, keys={(link.target_type_id, link.target_id) for link in links})
    result = []
    for link in links:
        target = assets.get((link.target_type_id, link.target_id))
        if target is None:
            continue
        registered = asset_type(target)
        result.append(LinkedAsset(link=link, asset=target, label=registered.label, icon=registered.icon))
    return result


def idea_link_get(*, user, idea: Idea, pk) -> IdeaLink:
    """One of the idea's visible links, else 404."""
    link = (
        IdeaLink.objects.restrict(user, Action.VIEW).filter(idea=idea, pk=pk).select_related("idea").first()
    )
    if link is None:
        raise Http404("No such link.")
    return link


def idea_status_changes(*, idea: Idea) -> list[IdeaStatusChange]:
    """The idea's workflow so far, oldest first; the idea must come from `restrict` already."""
    return list(
        IdeaStatusChange.objects.filter(idea=idea).select_related("changed_by").order_by("created_at", "id")
    )


def idea_voters(*, idea: Idea, limit: int = 12) -> list:
    """The most recent voters of an idea the reader can already see (one query)."""
    return [
        vote.user
        for vote in IdeaVote.objects.filter(idea=idea).select_related("user").order_by("-created_at")[:limit]
    ]


def idea_status_label(status: str) -> str:
    return IdeaStatus(status).label if status in IdeaStatus.values else status

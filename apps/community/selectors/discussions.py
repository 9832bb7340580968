"""Reads for discussions: always through `restrict`, with a fixed number of queries per page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from apps.community import markup
from apps.community.models import Category, Emoji, Post, Reaction, Thread, ThreadKind
from apps.community.models.discussions import EMOJI_ICONS
from apps.core.assets import asset_model, asset_team_path, asset_type, asset_types
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids

SEARCH_URL = "/search/"


# --- categories ---------------------------------------------------------------------------------
def category_list(*, user) -> QuerySet[Category]:
    """Categories `user` may see, with their thread count and last activity (one query)."""
    return (
        Category.objects.restrict(user, Action.VIEW)
        .select_related("team")
        .annotate(thread_total=Count("threads"), last_activity=Max("threads__last_activity_at"))
        .order_by("position", "name")
    )


def category_get(*, user, slug: str, action: str = Action.VIEW) -> Category:
    """A category `user` may see (else 404)."""
    category = Category.objects.restrict(user, Action.VIEW).select_related("team").filter(slug=slug).first()
    if category is None:
        raise Http404("No such category.")
    return category


def category_user_may(*, user, category: Category, action: str) -> bool:
    return Category.objects.restrict(user, action).filter(pk=category.pk).exists()


# --- threads ------------------------------------------------------------------------------------
@dataclass
class ThreadFilters:
    """What a forum list can be narrowed to; every field optional."""

    kind: str = ""
    team: str = ""  # team slug
    asset_type: str = ""  # "catalog.dataset"
    category: Category | None = None
    asset: models.Model | None = None
    unanswered: bool = False
    status: str = ""  # "open" | "closed"
    author: str = ""  # username
    text: str = ""


def _team_condition(team_slug: str) -> Q:
    """Threads about a team: in its categories or on assets it owns (one subquery per asset type)."""
    condition = Q(category__team__slug=team_slug)
    for registered in asset_types():
        path = asset_team_path(registered.model)
        if path is None:
            continue
        content_type = ContentType.objects.get_for_model(registered.model)
        owned = registered.model._default_manager.filter(**{f"{path}__slug": team_slug}).values("pk")
        condition |= Q(asset_type_id=content_type.pk, asset_id__in=owned)
    return condition


def thread_list(*, user, filters: ThreadFilters | None = None) -> QuerySet[Thread]:
    """Threads `user` may see, pinned first then by last activity, with what a list row shows.

    Queries when evaluated: one for the threads, one per asset type on the page (their assets).
    """
    filters = filters or ThreadFilters()
    threads = Thread.objects.restrict(user, Action.VIEW)
    if filters.kind in ThreadKind.values:
        threads = threads.filter(kind=filters.kind)
    if filters.team:
        threads = threads.filter(_team_condition(filters.team))
    if filters.asset_type:
        model = asset_model(filters.asset_type)
        if filters.asset_type == "category":
            threads = threads.filter(category__isnull=False)
        elif model is None:
            threads = threads.none()
        else:
            threads = threads.filter(asset_type=ContentType.objects.get_for_model(model))
    if filters.category is not None:
        threads = threads.filter(category=filters.category)
    if filters.asset is not None:
        threads = threads.filter(
            asset_type=ContentType.objects.get_for_model(filters.asset), asset_id=filters.asset.pk
        )
    if filters.unanswered:
        threads = threads.filter(kind=ThreadKind.QUESTION, accepted_post__isnull=True)
    if filters.status == "open":
        threads = threads.filter(closed_at__isnull=True)
    elif filters.status == "closed":
        threads = threads.filter(closed_at__isnull=False)
    if filters.author:
        threads = threads.filter(author__username=filters.author)
    if filters.text:
        threads = threads.filter(title__icontains=filters.text[:200])
    return (
        threads.select_related("author", "category", "category__team", "asset_type")
        .prefetch_related("asset")
        .order_by("-is_pinned", "-last_activity_at", "-id")
    )


def thread_get(*, user, pk) -> Thread:
    """A thread `user` may see, with its author, category and asset (else 404)."""
    thread = (
        Thread.objects.restrict(user, Action.VIEW)
        .select_related("author", "category", "category__team", "asset_type", "accepted_post")
        .filter(pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("No such discussion.")
    return thread


def thread_count_on(*, user, asset: models.Model) -> int:
    """How many threads on `asset` `user` may see (one query)."""
    return (
        Thread.objects.restrict(user, Action.VIEW)
        .filter(asset_type=ContentType.objects.get_for_model(asset), asset_id=asset.pk)
        .count()
    )


def thread_counts_on(*, user, assets: Sequence[models.Model]) -> dict:
    """{asset pk: visible thread count} for assets of one type (one query, none when empty)."""
    if not assets:
        return {}
    rows = (
        Thread.objects.restrict(user, Action.VIEW)
        .filter(asset_type=ContentType.objects.get_for_model(assets[0]), asset_id__in=[a.pk for a in assets])
        .values("asset_id")
        .annotate(total=Count("id"))
        .order_by()
    )
    return {row["asset_id"]: row["total"] for row in rows}


@dataclass
class ThreadRights:
    """What the signed-in person may do on one thread page."""

    post: bool = False
    change: bool = False
    moderate: bool = False


def thread_rights(*, user, thread: Thread) -> ThreadRights:
    """Rights on a visible thread: two queries (change, manage)."""
    change = Thread.objects.restrict(user, Action.CHANGE).filter(pk=thread.pk).exists()
    moderate = Thread.objects.restrict(user, Action.MANAGE).filter(pk=thread.pk).exists()
    return ThreadRights(post=not thread.is_locked or moderate, change=change, moderate=moderate)


# --- posts --------------------------------------------------------------------------------------
@dataclass
class ReactionCount:
    emoji: str
    glyph: str
    count: int
    mine: bool
    people: list[str] = field(default_factory=list)

    @property
    def icon(self) -> str:
        return EMOJI_ICONS.get(self.emoji, "mood-smile")


def emoji_picker() -> list[tuple[str, str, str]]:
    """(value, glyph, Tabler icon) of every reaction, in order (icons render without an emoji font)."""
    return [(value, glyph, EMOJI_ICONS[value]) for value, glyph in Emoji.choices]


def post_list(*, user, thread: Thread) -> QuerySet[Post]:
    """A visible thread's posts, oldest first, with authors and what they reply to."""
    return (
        Post.objects.restrict(user, Action.VIEW)
        .filter(thread=thread)
        .select_related("author", "reply_to", "reply_to__author", "removed_by")
        .order_by("created_at", "id")
    )


def post_user_may(*, user, post: Post, action: str) -> bool:
    """Whether `user` may take `action` on `post` (one query): `delete` is its author or a moderator."""
    return Post.objects.restrict(user, action).filter(pk=post.pk).exists()


def post_get(*, user, pk, action: str = Action.VIEW) -> Post:
    """A post `user` may see (else 404); with its thread."""
    post = (
        Post.objects.restrict(user, Action.VIEW)
        .select_related("thread", "author", "thread__category")
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def reactions_for(*, user, posts: Sequence[Post]) -> dict[int, list[ReactionCount]]:
    """{post id: reactions in the fixed emoji order, with counts and whether `user` gave each} (one query)."""
    if not posts:
        return {}
    rows = (
        Reaction.objects.filter(post_id__in=[post.pk for post in posts])
        .select_related("user")
        .order_by("post_id", "created_at")
    )
    grouped: dict[int, dict[str, ReactionCount]] = defaultdict(dict)
    glyphs = dict(Emoji.choices)
    for reaction in rows:
        counts = grouped[reaction.post_id]
        entry = counts.get(reaction.emoji)
        if entry is None:
            entry = counts[reaction.emoji] = ReactionCount(
                reaction.emoji, glyphs.get(reaction.emoji, ""), 0, False
            )
        entry.count += 1
        entry.mine = entry.mine or reaction.user_id == user.pk
        entry.people.append(reaction.user.get_username())
    order = {value: index for index, value in enumerate(Emoji.values)}
    return {
        post_id: sorted(counts.values(), key=lambda entry: order.get(entry.emoji, 99))
        for post_id, counts in grouped.items()
    }


def post_revisions(*, post: Post) -> list:
    """A visible post's versions, newest first, with who wrote each (one query)."""
    return list(post.history.select_related("history_user").order_by("-history_date", "-history_id"))


# --- rendering for a reader: mentions and references become links only where the reader may go ----
def _person_url(username: str) -> str:
    return f"{reverse('community:home')}?author={username}"


def _asset_label(obj: models.Model) -> str:
    registered = asset_type(obj)
    return f"{registered.label if registered else obj._meta.verbose_name} · {obj}"


def _asset_url(obj: models.Model) -> str:
    try:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    except NoReverseMatch:
        return ""


def links_for(*, user, found: markup.Found) -> markup.Links:
    """Links the reader may follow for these names and references.

    People and teams are a directory every signed-in person may read. Assets are looked up
    through each slugged asset type's `restrict` (one query per type), so a reference to an
    asset the reader cannot see stays text. Two visible assets with one slug link to search.
    """
    from apps.teams.models import Team

    links = markup.Links()
    if found.names:
        users = (
            get_user_model()
            .objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=found.names, is_active=True)
        )
        for person in users:
            name = person.get_full_name() or person.get_username()
            links.people[person.username.lower()] = markup.Link(_person_url(person.username), name)
        for team in Team.objects.filter(slug__in=found.names - set(links.people)):
            links.people[team.slug] = markup.Link(team.get_absolute_url(), f"Team · {team.name}")
    if found.references:
        slugs = {reference.slug for reference in found.references}
        matches: dict[markup.Reference, list[models.Model]] = defaultdict(list)
        for registered in asset_types():
            model = registered.model
            names = {f.name for f in model._meta.get_fields()}
            objects = model._default_manager.all()
            if "slug" not in names or not hasattr(objects, "restrict"):
                continue
            team_path = asset_team_path(model)
            visible = objects.restrict(user, Action.VIEW).filter(slug__in=slugs)
            if team_path:
                visible = visible.select_related(team_path)
            for obj in visible:
                matches[markup.Reference(slug=obj.slug)].append(obj)
                team = _follow_path(obj, team_path)
                if team is not None:
                    matches[markup.Reference(slug=obj.slug, team=team.slug)].append(obj)
        for reference in found.references:
            candidates = matches.get(reference, [])
            if len(candidates) == 1 and _asset_url(candidates[0]):
                links.assets[reference] = markup.Link(_asset_url(candidates[0]), _asset_label(candidates[0]))
            elif len(candidates) > 1:
                links.assets[reference] = markup.Link(
                    f"{SEARCH_URL}?q={reference.slug}", f"{len(candidates)} assets named {reference.slug}"
                )
    return links


def _follow_path(obj, path: str | None):
    for part in (path or "").split("__"):
        if not part or obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def render_posts(*, user, posts: Iterable[Post]) -> None:
    """Set `post.html` on each post for this reader: parse each once, resolve every link in bulk."""
    posts = list(posts)
    parsed = {post.pk: markup.parse(post.body) for post in posts}
    found = markup.Found()
    for item in parsed.values():
        found.update(item.found)
    links = links_for(user=user, found=found)
    for post in posts:
        post.html = parsed[post.pk].html(links)


def render_body(*, user, body: str) -> str:
    """One body's HTML for this reader (the editor's preview)."""
    parsed = markup.parse(body)
    return parsed.html(links_for(user=user, found=parsed.found))


# --- assets: the Discussion tab -------------------------------------------------------------------
def asset_get(*, user, label: str, pk) -> models.Model:
    """A registered asset `user` may see, by "app_label.model" and id (else 404)."""
    model = asset_model(label)
    if model is None or not str(pk).isdigit():
        raise Http404("No such asset.")
    objects = model._default_manager.all()
    if not hasattr(objects, "restrict"):
        raise Http404("No such asset.")
    obj = objects.restrict(user, Action.VIEW).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such asset.")
    return obj


def asset_discussion_url(asset: models.Model) -> str:
    return reverse("community:asset_discussions", kwargs={"label": asset._meta.label_lower, "pk": asset.pk})


def thread_asset_links(threads: Iterable[Thread]) -> None:
    """Set `thread.asset_name`, `thread.asset_url` and `thread.asset_label` from prefetched assets."""
    for thread in threads:
        asset = thread.asset if thread.asset_type_id else None
        registered = asset_type(asset) if asset is not None else None
        thread.asset_name = str(asset) if asset is not None else ""
        thread.asset_url = _asset_url(asset) if asset is not None else ""
        thread.asset_label = registered.label if registered else ""
        thread.asset_icon = registered.icon if registered else "message-circle"


def team_choices(*, user) -> list[tuple[str, str]]:
    """Teams for the forum's team filter (a directory: every team)."""
    from apps.teams.models import Team

    return list(Team.objects.order_by("name").values_list("slug", "name"))


def asset_type_choices() -> list[tuple[str, str]]:
    choices = [("category", "Forum categories")]
    choices += [(registered.model._meta.label_lower, registered.label) for registered in asset_types()]
    return choices


def user_member_team_ids(*, user, action: str = Action.VIEW) -> set[int]:
    return set(member_team_ids(user, action).values_list("team_id", flat=True))

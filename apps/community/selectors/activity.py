"""The activity feed: who did what, when — on a team, on one asset, or wherever the viewer may look.

Built from the history (django-simple-history) of every registered team-owned asset type, of
teams and memberships, and from community events: discussion posts, votes, idea status changes,
idea links (and whatever other modules register with `register_activity_source`).
Every source applies the restrict rule of what its rows are about before anything is counted,
so a private dataset's changes never reach an outsider, not even as a count.

A page costs two queries whatever its size: the count, and the page itself from a UNION ALL
of every source in scope, each part already carrying the names a line shows (who, what, where).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.core.assets import asset_type, asset_types, visible_assets_q
from apps.core.permissions import Action, Role
from apps.core.querysets import member_team_ids
from apps.core.selectors import ActivityItem, team_owned_asset_types

# Kinds of change a reader can filter on.
KINDS: dict[str, str] = {
    "created": "Created",
    "changed": "Changed",
    "deleted": "Deleted",
    "status": "Status changes",
    "vote": "Votes",
    "link": "Links to assets",
    "post": "Discussion posts",
    "member": "Members",
}
HISTORY_KINDS = {"created": "+", "changed": "~", "deleted": "-"}
TEXT_MAX = 300
PAGE_SIZE = 25


# --- what a reader asks for ---------------------------------------------------------------------
@dataclass(frozen=True)
class ActivityFilters:
    """Narrow a feed: kinds of change, one asset type ("catalog.dataset"), one person, a date range."""

    kinds: tuple[str, ...] = ()
    asset_type: str = ""
    person: str = ""  # a username
    since: date | None = None
    until: date | None = None  # inclusive

    @property
    def any(self) -> bool:
        return bool(self.kinds or self.asset_type or self.person or self.since or self.until)


@dataclass(frozen=True)
class ActivityScope:
    """Where to look: some teams, one asset, or (neither) everywhere the viewer may see."""

    team_ids: tuple[int, ...] | None = None
    asset: models.Model | None = None


# --- sources ------------------------------------------------------------------------------------
# Every part of the union selects these columns, in this order, under these names.
COLUMNS = (
    "feed_source", "feed_at", "feed_row", "feed_op", "feed_object", "feed_alive",
    "feed_actor", "feed_actor_first", "feed_actor_last", "feed_t1", "feed_t2", "feed_t3", "feed_t4",
)  # fmt: skip


@dataclass(frozen=True)
class ActivityRow:
    """One union row, as the source that made it will turn it into an ActivityItem."""

    source: str
    at: datetime
    row: int
    op: str
    object_id: int | None
    alive: bool
    actor: str | None
    actor_first: str | None
    actor_last: str | None
    t1: str | None
    t2: str | None
    t3: str | None
    t4: str | None

    @property
    def who(self) -> str:
        if not self.actor:
            return "System"
        full = f"{self.actor_first or ''} {self.actor_last or ''}".strip()
        return full or self.actor


@dataclass(frozen=True)
class ActivitySource:
    """One kind of row in the feed.

    `rows(user, scope)` returns the rows of this source `user` may see in `scope` (None when the
    scope cannot contain any), `kinds` maps each kind of change it produces to the Q selecting it
    (None: all its rows), `columns` gives the expressions for COLUMNS[3:] (op … t4), and `item`
    turns one ActivityRow into the ActivityItem a page shows.
    """

    key: str
    asset_label: str  # the asset type its rows are about ("" for teams and members)
    date_field: str
    row_field: str
    actor_field: str
    kinds: dict[str, Q | None]
    rows: Callable[..., models.QuerySet | None]
    columns: Callable[[], dict[str, models.Expression]]
    item: Callable[[ActivityRow], ActivityItem]
    # For rows about assets of several types (discussions): narrows them to one type's label.
    # Without it, an asset-type filter keeps the source only when `asset_label` is that type.
    of_asset_type: Callable[[models.QuerySet, str], models.QuerySet] | None = None


_SOURCES: dict[str, ActivitySource] = {}


def register_activity_source(source: ActivitySource) -> None:
    """Add a kind of community event to every feed (e.g. discussion posts); replaces one with its key."""
    _SOURCES[source.key] = source


def _text(value) -> models.Expression:
    return Value(value, output_field=CharField())


def _none_text() -> models.Expression:
    return Value(None, output_field=CharField())


def _actor_columns(actor_field: str) -> dict[str, models.Expression]:
    return {
        "feed_actor": F(f"{actor_field}__username"),
        "feed_actor_first": F(f"{actor_field}__first_name"),
        "feed_actor_last": F(f"{actor_field}__last_name"),
    }


def name_field(model: type[models.Model]) -> str | None:
    """The field that names an object of `model` in a feed line (its `name`, else its `title`)."""
    names = {f.name for f in model._meta.get_fields()}
    return next((candidate for candidate in ("name", "title") if candidate in names), None)


def _url(model: type[models.Model], pk) -> str:
    """An object's page from its id alone (every registered asset's URL needs only its key)."""
    if pk is None:
        return ""
    try:
        return model(pk=pk).get_absolute_url() if hasattr(model, "get_absolute_url") else ""
    except (NoReverseMatch, AttributeError, TypeError, ValueError):  # a page not built yet, or needs more
        return ""


def _history_source(registered) -> ActivitySource:
    """The history of one registered asset type, restricted like the asset itself."""
    model = registered.model
    label = model._meta.label_lower
    team_owned = "team" in {f.name for f in model._meta.get_fields()}
    shown = name_field(model)

    def rows(user, scope: ActivityScope) -> models.QuerySet | None:
        if scope.asset is not None:
            if type(scope.asset) is not model:
                return None
            records = model.history.filter(id=scope.asset.pk)
        elif not team_owned:
            return None  # parts of assets (versions, runs) show on their own page only
        else:
            records = model.history.all()
            if scope.team_ids is not None:
                records = records.filter(team_id__in=scope.team_ids)
        if not user.is_superuser:
            visible = Q(id__in=model.objects.restrict(user, Action.VIEW).values("pk"))
            if team_owned:
                # A deleted object's rows stay readable by the team that owned it.
                visible |= Q(team_id__in=member_team_ids(user, Action.VIEW)) & ~Q(
                    id__in=model._default_manager.values("pk")
                )
            records = records.filter(visible)
        hidden = HISTORY_SHOWN_ELSEWHERE.get(label)
        return records.exclude(hidden) if hidden is not None else records

    def columns() -> dict[str, models.Expression]:
        return {
            "feed_op": F("history_type"),
            "feed_object": F("id"),
            "feed_alive": Exists(model._default_manager.filter(pk=OuterRef("id"))),
            **_actor_columns("history_user"),
            "feed_t1": Cast(F(shown), CharField()) if shown else Cast(F("id"), CharField()),
            "feed_t2": Coalesce(F("history_change_reason"), _text(""), output_field=CharField()),
            "feed_t3": _none_text(),
            "feed_t4": _none_text(),
        }

    def item(row: ActivityRow) -> ActivityItem:
        return ActivityItem(
            when=row.at,
            who=row.who,
            verb={"+": "created", "~": "changed", "-": "deleted"}.get(row.op, "changed"),
            kind=registered.label,
            icon=registered.icon,
            name=row.t1 or f"#{row.object_id}",
            url=_url(model, row.object_id) if row.alive else "",
            detail=row.t2 or "",
            history_type=row.op,
            actor_username=row.actor or "",
        )

    return ActivitySource(
        key=f"history:{label}",
        asset_label=label,
        date_field="history_date",
        row_field="history_id",
        actor_field="history_user",
        kinds={kind: Q(history_type=op) for kind, op in HISTORY_KINDS.items()},
        rows=rows,
        columns=columns,
        item=item,
    )


# History rows of an asset that another source tells better (an idea's status: its status change row).
HISTORY_SHOWN_ELSEWHERE: dict[str, Q] = {"community.idea": Q(history_change_reason__startswith="Status: ")}


# --- teams and members: a directory every signed-in user may read -------------------------------
def _team_rows(user, scope: ActivityScope):
    if scope.asset is not None:
        return None
    records = apps.get_model("teams", "Team").history.all()
    return records.filter(id__in=scope.team_ids) if scope.team_ids is not None else records


def _team_columns() -> dict[str, models.Expression]:
    team = apps.get_model("teams", "Team")
    return {
        "feed_op": F("history_type"),
        "feed_object": F("id"),
        "feed_alive": Exists(team.objects.filter(pk=OuterRef("id"))),
        **_actor_columns("history_user"),
        "feed_t1": F("name"),
        "feed_t2": F("slug"),
        "feed_t3": _none_text(),
        "feed_t4": _none_text(),
    }


def _team_item(row: ActivityRow) -> ActivityItem:
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb={"+": "created", "~": "changed", "-": "deleted"}.get(row.op, "changed"),
        kind="Team",
        icon="users-group",
        name=row.t1 or "",
        url=reverse("teams:team_detail", kwargs={"slug": row.t2}) if row.alive and row.t2 else "",
        history_type=row.op,
        actor_username=row.actor or "",
    )


def _membership_rows(user, scope: ActivityScope):
    if scope.asset is not None:
        return None
    records = apps.get_model("teams", "Membership").history.all()
    return records.filter(team_id__in=scope.team_ids) if scope.team_ids is not None else records


def _membership_columns() -> dict[str, models.Expression]:
    return {
        "feed_op": F("history_type"),
        "feed_object": F("team_id"),
        "feed_alive": Exists(apps.get_model("teams", "Team").objects.filter(pk=OuterRef("team_id"))),
        **_actor_columns("history_user"),
        "feed_t1": Concat(F("user__first_name"), _text(" "), F("user__last_name"), output_field=CharField()),
        "feed_t2": F("user__username"),
        "feed_t3": F("role"),
        "feed_t4": Concat(F("team__name"), _text("\n"), F("team__slug"), output_field=CharField()),
    }


def _membership_item(row: ActivityRow) -> ActivityItem:
    member = (row.t1 or "").strip() or row.t2 or "a former user"
    role = Role(row.t3).label if row.t3 in Role.values else (row.t3 or "")
    team_name, _, team_slug = (row.t4 or "").partition("\n")
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb={"+": "added", "~": "changed the role of", "-": "removed"}.get(row.op, "changed"),
        kind="Member",
        icon="user",
        name=member,
        url=reverse("teams:team_detail", kwargs={"slug": team_slug}) if row.alive and team_slug else "",
        detail=f"{role} in {team_name}" if team_name else role,
        history_type=row.op,
        actor_username=row.actor or "",
    )


# --- community events on ideas ------------------------------------------------------------------
def _visible_ideas(user, scope: ActivityScope) -> models.QuerySet | None:
    """Ideas in scope the viewer may see (as a subquery), or None when the scope holds none."""
    idea = apps.get_model("community", "Idea")
    if scope.asset is not None and type(scope.asset) is not idea:
        return None
    ideas = idea.objects.restrict(user, Action.VIEW)
    if scope.asset is not None:
        ideas = ideas.filter(pk=scope.asset.pk)
    elif scope.team_ids is not None:
        ideas = ideas.filter(team_id__in=scope.team_ids)
    return ideas.values("pk")


def _idea_columns(actor_field: str, op: models.Expression, **texts) -> dict[str, models.Expression]:
    idea = apps.get_model("community", "Idea")
    return {
        "feed_op": op,
        "feed_object": F("idea_id"),
        "feed_alive": Exists(idea.objects.filter(pk=OuterRef("idea_id"))),
        **_actor_columns(actor_field),
        "feed_t1": Subquery(idea.objects.filter(pk=OuterRef("idea_id")).order_by().values("title")[:1]),
        "feed_t2": texts.get("t2", _none_text()),
        "feed_t3": texts.get("t3", _none_text()),
        "feed_t4": texts.get("t4", _none_text()),
    }


def _idea_url(row: ActivityRow) -> str:
    return reverse("community:idea_detail", kwargs={"pk": row.object_id}) if row.alive else ""


def _vote_rows(user, scope: ActivityScope):
    ideas = _visible_ideas(user, scope)
    if ideas is None:
        return None
    return apps.get_model("community", "IdeaVote").history.filter(idea_id__in=ideas)


def _vote_item(row: ActivityRow) -> ActivityItem:
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb="voted for" if row.op == "+" else "withdrew their vote for",
        kind="Idea",
        icon="thumb-up",
        name=row.t1 or "an idea",
        url=_idea_url(row),
        history_type="+" if row.op == "+" else "-",
        actor_username=row.actor or "",
    )


def _status_rows(user, scope: ActivityScope):
    ideas = _visible_ideas(user, scope)
    if ideas is None:
        return None
    return apps.get_model("community", "IdeaStatusChange").objects.filter(idea_id__in=ideas)


def _status_item(row: ActivityRow) -> ActivityItem:
    from apps.community.models import IdeaStatus

    def label(status):
        return IdeaStatus(status).label if status in IdeaStatus.values else (status or "")

    detail = f"{label(row.t2)} → {label(row.op)}"
    if row.t3:
        detail += f": {row.t3}"
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb="moved",
        kind="Idea",
        icon="arrows-right-left",
        name=row.t1 or "an idea",
        url=_idea_url(row),
        detail=detail,
        history_type="-" if row.op == "declined" else ("+" if row.op == "done" else "~"),
        actor_username=row.actor or "",
    )


def _link_rows(user, scope: ActivityScope):
    link_history = apps.get_model("community", "IdeaLink").history
    idea = apps.get_model("community", "Idea")
    if scope.asset is not None and type(scope.asset) is not idea:
        # On an asset's page: the ideas linked to (or unlinked from) it.
        content_type = ContentType.objects.get_for_model(scope.asset)
        records = link_history.filter(target_type_id=content_type.pk, target_id=scope.asset.pk)
        records = records.filter(idea_id__in=idea.objects.restrict(user, Action.VIEW).values("pk"))
    else:
        ideas = _visible_ideas(user, scope)
        if ideas is None:
            return None
        records = link_history.filter(idea_id__in=ideas)
    if not user.is_superuser:
        records = records.filter(visible_assets_q(user, "target_type", "target_id"))
    return records


def _link_target_name() -> models.Expression:
    """The linked asset's name, for every registered asset type in one expression."""
    whens = []
    for registered in asset_types():
        shown = name_field(registered.model)
        if not shown:
            continue
        content_type = ContentType.objects.get_for_model(registered.model)
        names = (
            registered.model._default_manager.filter(pk=OuterRef("target_id")).order_by().values(shown)[:1]
        )
        whens.append(When(target_type_id=content_type.pk, then=Cast(Subquery(names), CharField())))
    return Case(*whens, default=_none_text(), output_field=CharField()) if whens else _none_text()


def _link_columns() -> dict[str, models.Expression]:
    return _idea_columns(
        "history_user",
        F("history_type"),
        t2=_link_target_name(),
        t3=Cast(F("target_type_id"), CharField()),
        t4=Cast(F("target_id"), CharField()),
    )


def _link_item(row: ActivityRow) -> ActivityItem:
    target = ""
    if row.t3 and row.t4:
        model = ContentType.objects.get_for_id(int(row.t3)).model_class()
        registered = asset_type(model) if model else None
        kind = registered.label.lower() if registered else "asset"
        target = f"{kind} {row.t2}" if row.t2 else kind
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb="linked" if row.op == "+" else "unlinked",
        kind="Idea",
        icon="link",
        name=row.t1 or "an idea",
        url=_idea_url(row),
        detail=(f"to {target}" if row.op == "+" else f"from {target}") if target else "",
        history_type="+" if row.op == "+" else "-",
        actor_username=row.actor or "",
    )


# --- discussion posts --------------------------------------------------------------------------
def _threads_in_scope(scope: ActivityScope) -> models.QuerySet | None:
    """Threads on the scope's asset, or on the scope's teams' assets and in their categories."""
    thread = apps.get_model("community", "Thread")
    if scope.asset is not None:
        content_type = ContentType.objects.get_for_model(scope.asset)
        return thread.objects.filter(asset_type_id=content_type.pk, asset_id=scope.asset.pk).values("pk")
    if scope.team_ids is None:
        return None
    on_team_assets = Q(category__team_id__in=scope.team_ids)
    for registered in team_owned_asset_types():
        content_type = ContentType.objects.get_for_model(registered.model)
        owned = registered.model._default_manager.filter(team_id__in=scope.team_ids).values("pk")
        on_team_assets |= Q(asset_type_id=content_type.pk, asset_id__in=owned)
    return thread.objects.filter(on_team_assets).values("pk")


def _post_rows(user, scope: ActivityScope):
    post = apps.get_model("community", "Post")
    # A removed post leaves the feed (all its records: what it said is for its history page only).
    visible = post.objects.restrict(user, Action.VIEW).filter(removed_at__isnull=True)
    records = post.history.filter(id__in=visible.values("pk"))
    threads = _threads_in_scope(scope)
    return records.filter(thread_id__in=threads) if threads is not None else records


def _posts_of_asset_type(rows: models.QuerySet, label: str) -> models.QuerySet:
    thread = apps.get_model("community", "Thread")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return rows.none()
    content_type = ContentType.objects.get_for_model(model)
    return rows.filter(thread_id__in=thread.objects.filter(asset_type_id=content_type.pk).values("pk"))


def _post_columns() -> dict[str, models.Expression]:
    thread = apps.get_model("community", "Thread")
    post = apps.get_model("community", "Post")
    return {
        "feed_op": F("history_type"),
        "feed_object": F("thread_id"),
        "feed_alive": Exists(post.objects.filter(pk=OuterRef("id"))),
        **_actor_columns("history_user"),
        "feed_t1": Subquery(thread.objects.filter(pk=OuterRef("thread_id")).order_by().values("title")[:1]),
        "feed_t2": Case(When(is_opening=True, then=_text("1")), default=_text("0"), output_field=CharField()),
        "feed_t3": Cast(F("id"), CharField()),
        "feed_t4": _none_text(),
    }


def _post_item(row: ActivityRow) -> ActivityItem:
    opening = row.t2 == "1"
    verb = {
        "+": "started the discussion" if opening else "replied in",
        "~": "edited a post in",
        "-": "deleted a post in",
    }.get(row.op, "posted in")
    url = ""
    if row.alive and row.object_id:
        url = reverse("community:thread_detail", kwargs={"pk": row.object_id}) + f"#post-{row.t3}"
    return ActivityItem(
        when=row.at,
        who=row.who,
        verb=verb,
        kind="Discussion",
        icon="messages",
        name=row.t1 or "a discussion",
        url=url,
        history_type=row.op,
        actor_username=row.actor or "",
    )


def _builtin_sources() -> list[ActivitySource]:
    return [
        ActivitySource(
            key="teams.team",
            asset_label="",
            date_field="history_date",
            row_field="history_id",
            actor_field="history_user",
            kinds={kind: Q(history_type=op) for kind, op in HISTORY_KINDS.items()},
            rows=_team_rows,
            columns=_team_columns,
            item=_team_item,
        ),
        ActivitySource(
            key="teams.membership",
            asset_label="",
            date_field="history_date",
            row_field="history_id",
            actor_field="history_user",
            kinds={"member": None},
            rows=_membership_rows,
            columns=_membership_columns,
            item=_membership_item,
        ),
        ActivitySource(
            key="community.vote",
            asset_label="community.idea",
            date_field="history_date",
            row_field="history_id",
            actor_field="history_user",
            kinds={"vote": Q(history_type__in=["+", "-"])},
            rows=_vote_rows,
            columns=lambda: _idea_columns("history_user", F("history_type")),
            item=_vote_item,
        ),
        ActivitySource(
            key="community.status",
            asset_label="community.idea",
            date_field="created_at",
            row_field="id",
            actor_field="changed_by",
            kinds={"status": None},
            rows=_status_rows,
            columns=lambda: _idea_columns(
                "changed_by",
                F("to_status"),
                t2=F("from_status"),
                t3=Substr(F("reason"), 1, TEXT_MAX),
            ),
            item=_status_item,
        ),
        ActivitySource(
            key="community.link",
            asset_label="community.idea",
            date_field="history_date",
            row_field="history_id",
            actor_field="history_user",
            kinds={"link": Q(history_type__in=["+", "-"])},
            rows=_link_rows,
            columns=_link_columns,
            item=_link_item,
        ),
        ActivitySource(
            key="community.post",
            asset_label="",
            date_field="history_date",
            row_field="history_id",
            actor_field="history_user",
            kinds={"post": None},
            rows=_post_rows,
            columns=_post_columns,
            item=_post_item,
            of_asset_type=_posts_of_asset_type,
        ),
    ]


def activity_sources(*, scope: ActivityScope) -> list[ActivitySource]:
    """Every source: the history of each registered asset type, teams, members, community events."""
    sources = [
        _history_source(registered) for registered in asset_types() if hasattr(registered.model, "history")
    ]
    return [*sources, *_builtin_sources(), *_SOURCES.values()]


def activity_asset_types() -> list[tuple[str, str]]:
    """(label, name) of the asset types a feed can be filtered on."""
    return [(t.model._meta.label_lower, t.label) for t in team_owned_asset_types()]


# --- the feed -----------------------------------------------------------------------------------
def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _part(source: ActivitySource, *, user, scope: ActivityScope, filters: ActivityFilters):
    """The source's rows for this user, scope and filters as a union part, or None."""
    if filters.asset_type and source.of_asset_type is None and source.asset_label != filters.asset_type:
        return None
    kind_conditions: list[Q | None] = []
    if filters.kinds:
        kind_conditions = [source.kinds[kind] for kind in filters.kinds if kind in source.kinds]
        if not kind_conditions:
            return None
    rows = source.rows(user, scope)
    if rows is None:
        return None
    if filters.asset_type and source.of_asset_type is not None:
        rows = source.of_asset_type(rows, filters.asset_type)
    if kind_conditions and None not in kind_conditions:
        combined = Q(pk__in=[])
        for condition in kind_conditions:
            combined |= condition
        rows = rows.filter(combined)
    if filters.person:
        rows = rows.filter(**{f"{source.actor_field}__username": filters.person})
    if filters.since:
        rows = rows.filter(**{f"{source.date_field}__gte": _day_start(filters.since)})
    if filters.until:
        rows = rows.filter(**{f"{source.date_field}__lt": _day_start(filters.until + timedelta(days=1))})
    columns = {
        "feed_source": _text(source.key),
        "feed_at": F(source.date_field),
        "feed_row": Cast(F(source.row_field), IntegerField()),
        **source.columns(),
    }
    return rows.order_by().annotate(**columns).values_list(*COLUMNS)


@dataclass
class ActivityFeed:
    """A lazy, sliceable feed (Django's Paginator and DRF's pagination take it as a list)."""

    union: models.QuerySet | None
    sources: dict[str, ActivitySource] = field(default_factory=dict)
    _count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.union.count() if self.union is not None else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("An activity feed is read in slices (pages).")
        if self.union is None:
            return []
        return [self._item(ActivityRow(*values)) for values in self.union[key]]

    def _item(self, row: ActivityRow) -> ActivityItem:
        return self.sources[row.source].item(row)


def activity_feed(
    *, user, scope: ActivityScope | None = None, filters: ActivityFilters | None = None
) -> ActivityFeed:
    """What happened in `scope` that `user` may see, newest first, narrowed by `filters`."""
    scope = scope or ActivityScope()
    filters = filters or ActivityFilters()
    if user is None or not user.is_authenticated or not user.is_active:
        return ActivityFeed(union=None)
    sources = activity_sources(scope=scope)
    parts, used = [], {}
    for source in sources:
        part = _part(source, user=user, scope=scope, filters=filters)
        if part is not None:
            parts.append(part)
            used[source.key] = source
    if not parts:
        return ActivityFeed(union=None)
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return ActivityFeed(union=union.order_by("-feed_at", "-feed_row", "feed_source"), sources=used)


def activity_recent(*, user, team_ids: Sequence[int] | None = None, limit: int = 15) -> list[ActivityItem]:
    """The latest lines for the home page and team pages (one query)."""
    scope = ActivityScope(team_ids=tuple(team_ids) if team_ids is not None else None)
    return activity_feed(user=user, scope=scope)[:limit]


def activity_page_url(*, team=None) -> str:
    """The activity page, of one team when given."""
    url = reverse("community:activity")
    return f"{url}?team={team.slug}" if team is not None else url

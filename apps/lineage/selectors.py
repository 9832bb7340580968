"""Reads for lineage: assets by key, the upstream/downstream graph and impact analysis.

The graph is walked breadth-first with one query per level and direction,
whatever the number of nodes. Assets the user may not see are never named: the
walk stops there, and the visible node next to them only carries a flag
("some hidden assets upstream/downstream"), never a count, a name or an id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from apps.core.assets import asset_type, asset_types
from apps.core.permissions import Action, Role
from apps.core.querysets import InheritedRestrictQuerySet
from apps.lineage.models import ColumnEdge, Edge, Provenance
from apps.lineage.querysets import visible_end

MAX_DEPTH = 5
IMPACT_MAX_DEPTH = 25  # impact follows everything downstream; the cap only guards against cycles


# --- assets -------------------------------------------------------------------------------------
def asset_model(label: str) -> type[models.Model]:
    """The registered asset model for "app_label.model", else 404."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("No such asset type.") from None
    if asset_type(model) is None:
        raise Http404("No such asset type.")
    return model


def asset_parse(key: str) -> tuple[type[models.Model], int]:
    """("catalog.dataset:12") → (Dataset, 12); a ValueError explains a malformed key."""
    label, _, raw_id = (key or "").strip().rpartition(":")
    if not label or not raw_id.isdigit() or len(raw_id) > 18:
        raise ValueError("Name an asset as <app_label>.<model>:<id>, e.g. catalog.dataset:12.")
    try:
        model = asset_model(label)
    except Http404:
        raise ValueError(f"{label!r} is not an asset type.") from None
    return model, int(raw_id)


def asset_get(*, user, model: type[models.Model], pk: int, action: str = Action.VIEW) -> models.Model:
    """The asset if `user` may take `action` on it, else 404 (no existence leak)."""
    obj = model.objects.restrict(user, action).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such asset.")
    return obj


def asset_get_by_key(*, user, key: str, action: str = Action.VIEW) -> models.Model:
    """The asset named by `key` if visible; ValueError for a malformed key, 404 if unknown or hidden."""
    model, pk = asset_parse(key)
    return asset_get(user=user, model=model, pk=pk, action=action)


def asset_user_may(*, user, obj: models.Model, action: str) -> bool:
    """Whether `user` may take `action` on the asset `obj` (one query)."""
    return type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists()


def asset_key(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _content_type_key(content_type_id: int, object_id: int) -> str:
    content_type = ContentType.objects.get_for_id(content_type_id)
    return f"{content_type.app_label}.{content_type.model}:{object_id}"


def _team_path(model: type[models.Model]) -> str | None:
    """How to reach the owning team from an asset (its own `team`, or its parent's)."""
    names = {f.name for f in model._meta.get_fields()}
    if "team" in names:
        return "team"
    if isinstance(model.objects.all(), InheritedRestrictQuerySet):
        return f"{getattr(model, 'restrict_through', 'dataset')}__team"
    return None


def _steward_path(model: type[models.Model]) -> str | None:
    team_path = _team_path(model)
    if team_path is None:
        return None
    prefix = team_path.removesuffix("team")
    owner = model
    for part in [p for p in prefix.split("__") if p]:
        owner = owner._meta.get_field(part).related_model
    return f"{prefix}steward" if "steward" in {f.name for f in owner._meta.get_fields()} else None


def asset_url(obj: models.Model) -> str:
    """The asset's own page, or "" when its app has none yet."""
    try:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    except NoReverseMatch:  # a page announced but not built yet
        return ""


ASSET_CHOICES_LIMIT = 500


def asset_choices(*, user, exclude: models.Model | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Assets `user` can see, grouped by type, for the "draw an edge" picker (one query per type).

    Only assets a team owns directly are offered (datasets, not their versions); parts of an
    asset are linked through the API with their key.
    """
    groups = []
    for registered in asset_types():
        model = registered.model
        if "team" not in {f.name for f in model._meta.get_fields()}:
            continue
        objects = model.objects.restrict(user, Action.VIEW).select_related("team")
        if exclude is not None and type(exclude) is model:
            objects = objects.exclude(pk=exclude.pk)
        options = [(asset_key(obj), f"{obj} ({obj.team.name})") for obj in objects[:ASSET_CHOICES_LIMIT]]
        if options:
            groups.append((registered.label, options))
    return groups


def lineage_url(obj: models.Model) -> str:
    return reverse("lineage:asset", kwargs={"label": obj._meta.label_lower, "pk": obj.pk})


def _resolve(keys: set[str]) -> dict[str, models.Model]:
    """Load the assets named by `keys`: one query per asset type, with team (and steward)."""
    by_label: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        label, _, pk = key.rpartition(":")
        by_label[label].add(int(pk))
    found: dict[str, models.Model] = {}
    for label, pks in by_label.items():
        model = apps.get_model(label)
        related = [path for path in (_team_path(model), _steward_path(model)) if path]
        for obj in model.objects.filter(pk__in=pks).select_related(*related):
            found[f"{label}:{obj.pk}"] = obj
    return found


def _team_of(obj: models.Model):
    path = _team_path(type(obj))
    for part in (path or "").split("__"):
        if not part or obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _steward_of(obj: models.Model):
    path = _steward_path(type(obj))
    for part in (path or "").split("__"):
        if not part or obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


# --- the graph ----------------------------------------------------------------------------------
@dataclass
class Graph:
    """What one user may see of an asset's lineage, to a depth in each direction."""

    root: str
    depth: int
    levels: dict[str, int] = field(default_factory=dict)  # node key → -n upstream … +n downstream
    assets: dict[str, models.Model] = field(default_factory=dict)
    edges: dict[int, Edge] = field(default_factory=dict)
    hidden_upstream: set[str] = field(default_factory=set)
    hidden_downstream: set[str] = field(default_factory=set)
    columns: dict[int, list[ColumnEdge]] = field(default_factory=dict)


def _walk(*, user, root_key: str, direction: str, depth: int, graph: Graph) -> None:
    """Breadth-first from the root in one direction: one query per level."""
    near, far = ("target", "source") if direction == "upstream" else ("source", "target")
    hidden = graph.hidden_upstream if direction == "upstream" else graph.hidden_downstream
    sign = -1 if direction == "upstream" else 1
    seen = {root_key}
    frontier = {root_key}
    if user.is_superuser:
        far_visible = Value(True, output_field=BooleanField())
    else:
        far_visible = Case(
            When(visible_end(far, user), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    for level in range(1, depth + 1):
        if not frontier:
            break
        by_type: dict[int, set[int]] = defaultdict(set)
        for key in frontier:
            label, _, pk = key.rpartition(":")
            app_label, model = label.split(".")
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
            by_type[content_type.pk].add(int(pk))
        condition = Q(pk__in=[])
        for content_type_id, pks in by_type.items():
            condition |= Q(**{f"{near}_type_id": content_type_id, f"{near}_id__in": sorted(pks)})
        rows = (
            Edge.objects.filter(condition)
            .annotate(far_visible=far_visible)
            .select_related("created_by")
            .order_by("id")
        )
        next_frontier: set[str] = set()
        for edge in rows:
            near_key = _content_type_key(getattr(edge, f"{near}_type_id"), getattr(edge, f"{near}_id"))
            far_key = _content_type_key(getattr(edge, f"{far}_type_id"), getattr(edge, f"{far}_id"))
            if not edge.far_visible:
                hidden.add(near_key)
                continue
            graph.edges[edge.pk] = edge
            if far_key not in seen:
                seen.add(far_key)
                next_frontier.add(far_key)
                graph.levels.setdefault(far_key, sign * level)
        frontier = next_frontier


def lineage_graph(*, user, root: models.Model, depth: int = 2) -> Graph:
    """Upstream and downstream of a visible asset, to `depth` levels each (clamped to 1–5).

    Queries: one per level and direction, one per asset type shown, one for column edges.
    """
    depth = max(1, min(MAX_DEPTH, int(depth)))
    return _graph_build(user=user, root=root, depth=depth, directions=("upstream", "downstream"))


def _graph_build(*, user, root: models.Model, depth: int, directions: tuple[str, ...]) -> Graph:
    root_key = asset_key(root)
    graph = Graph(root=root_key, depth=depth, levels={root_key: 0})
    for direction in directions:
        _walk(user=user, root_key=root_key, direction=direction, depth=depth, graph=graph)
    graph.assets = _resolve(set(graph.levels) - {root_key})
    graph.assets[root_key] = root
    # A node that vanished between the walk and the load (deleted meanwhile) is dropped with its edges.
    graph.levels = {key: level for key, level in graph.levels.items() if key in graph.assets}
    graph.edges = {
        pk: edge
        for pk, edge in graph.edges.items()
        if _content_type_key(edge.source_type_id, edge.source_id) in graph.assets
        and _content_type_key(edge.target_type_id, edge.target_id) in graph.assets
    }
    if graph.edges:
        for column in ColumnEdge.objects.filter(edge_id__in=list(graph.edges)).order_by(
            "edge_id", "target_column", "source_column"
        ):
            graph.columns.setdefault(column.edge_id, []).append(column)
    return graph


def _node(key: str, obj: models.Model, graph: Graph) -> dict[str, Any]:
    registered = asset_type(obj)
    team = _team_of(obj)
    return {
        "id": key,
        "type": obj._meta.label_lower,
        "type_label": registered.label if registered else obj._meta.verbose_name,
        "icon": registered.icon if registered else "circle",
        "name": str(obj),
        "url": asset_url(obj),
        "lineage_url": lineage_url(obj),
        "team": team.name if team else "",
        "level": graph.levels[key],
        "root": key == graph.root,
        "hidden_upstream": key in graph.hidden_upstream,
        "hidden_downstream": key in graph.hidden_downstream,
    }


def _edge(edge: Edge, graph: Graph) -> dict[str, Any]:
    return {
        "id": edge.pk,
        "source": _content_type_key(edge.source_type_id, edge.source_id),
        "target": _content_type_key(edge.target_type_id, edge.target_id),
        "transformation": edge.transformation,
        "provenance": edge.provenance,
        "provenance_label": Provenance(edge.provenance).label,
        "created_by": edge.created_by.get_username() if edge.created_by else None,
        "producer": edge.producer,
        "description": edge.description,
        "created_at": edge.created_at.isoformat(),
        "columns": [
            {"source": c.source_column, "target": c.target_column, "transformation": c.transformation}
            for c in graph.columns.get(edge.pk, [])
        ],
    }


def graph_as_json(graph: Graph) -> dict[str, Any]:
    """Nodes and edges as plain data, for the API and the page's cytoscape drawing."""
    nodes = [
        _node(key, graph.assets[key], graph)
        for key in sorted(graph.levels, key=lambda k: (graph.levels[k], k))
    ]
    return {
        "root": graph.root,
        "depth": graph.depth,
        "nodes": nodes,
        "edges": [_edge(edge, graph) for _, edge in sorted(graph.edges.items())],
    }


# --- impact analysis ----------------------------------------------------------------------------
def lineage_impact(*, user, root: models.Model) -> dict[str, Any]:
    """Everything downstream of `root` that `user` may see, grouped by asset type, with owners to notify.

    `hidden` says only whether some downstream assets are not visible to the user.
    """
    graph = _graph_build(user=user, root=root, depth=IMPACT_MAX_DEPTH, directions=("downstream",))
    downstream = [key for key in graph.levels if key != graph.root]
    teams = {}
    for key in downstream:
        team = _team_of(graph.assets[key])
        if team is not None:
            teams[team.pk] = team
    officers: dict[int, list] = defaultdict(list)
    if teams:
        membership = apps.get_model("teams", "Membership")
        for member in (
            membership.objects.filter(team_id__in=list(teams), role=Role.DATA_OFFICER)
            .select_related("user")
            .order_by("user__username")
        ):
            officers[member.team_id].append(member.user)
    order = {registered.model._meta.label_lower: index for index, registered in enumerate(asset_types())}
    groups: dict[str, dict[str, Any]] = {}
    for key in sorted(downstream, key=lambda k: (graph.levels[k], str(graph.assets[k]))):
        obj = graph.assets[key]
        label = obj._meta.label_lower
        registered = asset_type(obj)
        group = groups.setdefault(
            label,
            {
                "type": label,
                "type_label": registered.label if registered else obj._meta.verbose_name,
                "icon": registered.icon if registered else "circle",
                "items": [],
            },
        )
        team = _team_of(obj)
        steward = _steward_of(obj)
        owners = list(officers.get(team.pk, [])) if team else []
        if steward is not None and steward not in owners:
            owners.insert(0, steward)
        group["items"].append(
            {
                "id": key,
                "name": str(obj),
                "url": asset_url(obj),
                "lineage_url": lineage_url(obj),
                "level": graph.levels[key],
                "team": team,
                "owners": owners,
            }
        )
    notify = {}
    for group in groups.values():
        for item in group["items"]:
            for owner in item["owners"]:
                notify[owner.pk] = owner
    return {
        "root": graph.root,
        "groups": sorted(groups.values(), key=lambda g: order.get(g["type"], 99)),
        "count": len(downstream),
        "teams": sorted(teams.values(), key=lambda t: t.name),
        "notify": sorted(notify.values(), key=lambda u: u.get_username()),
        "hidden": bool(graph.hidden_downstream),
    }


def impact_as_json(impact: dict[str, Any]) -> dict[str, Any]:
    def person(user) -> dict[str, str]:
        return {"username": user.get_username(), "name": user.get_full_name() or user.get_username()}

    return {
        "root": impact["root"],
        "count": impact["count"],
        "hidden": impact["hidden"],
        "groups": [
            {
                "type": group["type"],
                "type_label": group["type_label"],
                "items": [
                    {
                        "id": item["id"],
                        "name": item["name"],
                        "url": item["url"],
                        "level": item["level"],
                        "team": item["team"].name if item["team"] else "",
                        "owners": [person(owner) for owner in item["owners"]],
                    }
                    for item in group["items"]
                ],
            }
            for group in impact["groups"]
        ],
        "teams": [team.name for team in impact["teams"]],
        "notify": [person(user) for user in impact["notify"]],
    }


# --- edges --------------------------------------------------------------------------------------
def edge_list(*, user, asset: models.Model | None = None, provenance: str = "") -> models.QuerySet[Edge]:
    """Edges `user` may see (both ends visible), optionally touching one asset or of one provenance."""
    edges = Edge.objects.restrict(user, Action.VIEW).select_related(
        "created_by", "source_type", "target_type"
    )
    if asset is not None:
        content_type = ContentType.objects.get_for_model(asset)
        edges = edges.filter(
            Q(source_type=content_type, source_id=asset.pk) | Q(target_type=content_type, target_id=asset.pk)
        )
    if provenance:
        edges = edges.filter(provenance=provenance)
    return edges.prefetch_related("columns").order_by("id")


def edge_changeable_ids(*, user, edge_ids) -> set[int]:
    """Which of these edges `user` may change or remove (one query)."""
    return set(
        Edge.objects.restrict(user, Action.CHANGE)
        .filter(pk__in=list(edge_ids), provenance=Provenance.USER)
        .values_list("pk", flat=True)
    )

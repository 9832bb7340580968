"""Reads of the search index: permission filtering first, then text, filters, ranking and facets.

Documents a user may see follow the same rule as `restrict(user, "view")`, on the
denormalized columns: the owning team is one of the user's teams, or the document is
internal, or the user (or one of their teams) holds a guardian grant on the object that
governs it (the object itself, or e.g. a column's dataset). Counts and facets are always
computed on that filtered set, so another team's private objects never show in them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import CharField, Count, FloatField, Q, QuerySet, Value
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe

from apps.core.assets import asset_types, search_type, search_types
from apps.core.permissions import Action, roles_allowed
from apps.core.querysets import grant_models, member_team_ids
from apps.search.backends import access_token, backend, terms
from apps.search.models import FacetName, SearchDocument, SearchFacetValue

FACETS = ("type", "team", "tag", "term", "status")
FACET_LIMIT = 12
SNIPPET_CHARS = 180


@dataclass
class SearchFilters:
    """Facet selections: OR within a facet, AND across facets."""

    type: list[str] = field(default_factory=list)
    team: list[str] = field(default_factory=list)  # team slugs
    tag: list[str] = field(default_factory=list)
    term: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query) -> SearchFilters:
        """From a QueryDict (repeated keys allowed); blank values are dropped."""
        return cls(
            **{name: [v.strip()[:200] for v in query.getlist(name) if v.strip()][:10] for name in FACETS}
        )

    def any(self) -> bool:
        return any(getattr(self, name) for name in FACETS)


class CountedPaginator(Paginator):
    """A Paginator told the number of objects (the facet query already counted them): no COUNT query."""

    def __init__(self, object_list, per_page, *args, count: int, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.__dict__["count"] = count  # fills the cached_property


@dataclass
class FacetCount:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchHit:
    type: str
    type_label: str
    icon: str
    name: str
    team: str
    team_slug: str
    url: str
    score: float
    snippet: str

    @property
    def snippet_html(self) -> SafeString:
        return highlight(self.snippet, self._words)

    _words: list[str] = field(default_factory=list, repr=False)


class SearchScope:
    """The user a search runs for; their access tokens (FTS5 only) are computed once and shared by
    the count, the page and the facets of one request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def access_tokens(self) -> list[str] | None:
        """FTS5 tokens of everything the user may see (None for superusers: no restriction); one query."""
        user = self.user
        if user is None or not user.is_authenticated or not user.is_active:
            return []
        if user.is_superuser:
            return None
        membership = apps.get_model("teams", "Membership")
        kind = CharField()
        parts = [
            membership.objects.filter(user_id=user.pk, role__in=roles_allowed(Action.VIEW))
            .annotate(kind=Value("team", output_field=kind))
            .values_list("kind", "team_id")
            .order_by()
        ]
        for model in _access_models():
            codename = f"{Action.VIEW}_{model._meta.model_name}"
            label = model._meta.label_lower
            user_grants, group_grants = grant_models(model)
            if user_grants is not None:
                parts.append(
                    user_grants.objects.filter(user_id=user.pk, permission__codename=codename)
                    .annotate(kind=Value(label, output_field=kind))
                    .values_list("kind", "content_object_id")
                    .order_by()
                )
            if group_grants is not None:
                parts.append(
                    group_grants.objects.filter(group__user__id=user.pk, permission__codename=codename)
                    .annotate(kind=Value(label, output_field=kind))
                    .values_list("kind", "content_object_id")
                    .order_by()
                )
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        tokens = {access_token("visibility", "internal")}
        for kind_value, object_id in rows:
            if kind_value == "team":
                tokens.add(access_token("team", object_id))
            else:
                tokens.add(access_token("object", (kind_value, object_id)))
        return sorted(tokens)


def _scope(user) -> SearchScope:
    return user if isinstance(user, SearchScope) else SearchScope(user)


def search_visible_documents(*, user) -> QuerySet[SearchDocument]:
    """Index documents `user` may see: the restrict rule on the denormalized team, visibility and grants."""
    user = _scope(user).user
    documents = SearchDocument.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return documents.none()
    if user.is_superuser:
        return documents
    condition = Q(team_id__in=member_team_ids(user, Action.VIEW)) | Q(visibility="internal")
    for model in _access_models():
        user_grants, group_grants = grant_models(model)
        codename = f"{Action.VIEW}_{model._meta.model_name}"
        label = model._meta.label_lower
        if user_grants is not None:
            granted = user_grants.objects.filter(user_id=user.pk, permission__codename=codename)
            condition |= Q(access_type=label, access_id__in=granted.values("content_object_id"))
        if group_grants is not None:
            granted = group_grants.objects.filter(group__user__id=user.pk, permission__codename=codename)
            condition |= Q(access_type=label, access_id__in=granted.values("content_object_id"))
    return documents.filter(condition)


def _access_models() -> list:
    """Models whose grants may open documents: every asset or searchable type with grant tables."""
    seen: dict[str, type] = {}
    for model in [registered.model for registered in asset_types()] + [s.model for s in search_types()]:
        if any(grant_models(model)):
            seen.setdefault(model._meta.label_lower, model)
    return [seen[label] for label in sorted(seen)]


def _apply_filters(documents: QuerySet, filters: SearchFilters, *, skip: str = "") -> QuerySet:
    if filters.type and skip != "type":
        documents = documents.filter(asset_type__in=filters.type)
    if filters.team and skip != "team":
        documents = documents.filter(team__slug__in=filters.team)
    if filters.status and skip != "status":
        documents = documents.filter(status__in=filters.status)
    for name, facet in (("tag", FacetName.TAG), ("term", FacetName.TERM)):
        values = getattr(filters, name)
        if values and skip != name:
            documents = documents.filter(
                id__in=SearchFacetValue.objects.filter(facet=facet, value__in=values).values("document_id")
            )
    return documents


def search_matching(*, user, text: str, filters: SearchFilters, skip: str = "") -> QuerySet[SearchDocument]:
    """Visible documents matching every word of `text` (prefixes) and the filters (but `skip`)."""
    words = terms(text)
    scope = _scope(user)
    documents = search_visible_documents(user=scope.user)
    if words:
        engine = backend()
        documents = engine.match(
            documents, words, access=scope.access_tokens if engine.uses_access_tokens else None
        )
    elif not filters.any():
        return documents.none()  # nothing asked: nothing to show
    return _apply_filters(documents, filters, skip=skip)


def search_ranked(*, user, text: str, filters: SearchFilters) -> QuerySet[SearchDocument]:
    """The matching documents, best first (title matches before body matches), then by title."""
    words = terms(text)
    documents = search_matching(user=user, text=text, filters=filters).select_related("team")
    if not words:
        return documents.order_by("title", "id")
    return backend().rank(documents, words).order_by("-score", "title", "id")


def search_hits(documents, *, text: str) -> list[SearchHit]:
    """Page rows → hits with type label and icon from the asset registry and a snippet (no queries)."""
    words = terms(text)
    hits = []
    for document in documents:
        registered = search_type(document.asset_type)
        hit = SearchHit(
            type=document.asset_type,
            type_label=registered.label if registered else type_label(document.asset_type),
            icon=registered.icon if registered else "file",
            name=document.title,
            team=document.team.name if document.team_id else "",
            team_slug=document.team.slug if document.team_id else "",
            url=document.url,
            score=round(float(getattr(document, "score", 0.0) or 0.0), 4),
            snippet=snippet(document.body, words),
        )
        hit._words = words
        hits.append(hit)
    return hits


def type_label(label: str) -> str:
    """A person's name for a document type, from the asset registry."""
    registered = search_type(label)
    return registered.label if registered else label.split(".")[-1].replace("_", " ").capitalize()


def search_facets(*, user, text: str, filters: SearchFilters) -> dict[str, list[FacetCount]]:
    """Counts per type, team, tag, term and status, each over the visible matches with the other
    facets' filters applied (so a person can switch within a facet).

    Facets whose own filter is not in use share one set: type, team and status come from one
    grouped query over it (which also gives the total, see `search_facets_total`), tags and
    terms from one more; each facet in use adds one query.
    """
    return search_facets_and_total(user=user, text=text, filters=filters)[0]


def search_facets_and_total(
    *, user, text: str, filters: SearchFilters
) -> tuple[dict[str, list[FacetCount]], int]:
    """The facets and the number of matches (with every filter applied)."""
    results = search_results(user=user, text=text, filters=filters, offset=0, limit=0)
    return results.facets, results.total


@dataclass
class SearchResults:
    """One search's facets, total and one ranked page of documents (with `score` and `team` loaded)."""

    facets: dict[str, list[FacetCount]]
    total: int
    offset: int
    documents: list[SearchDocument]


def _ranked_values(*, user, text: str, filters: SearchFilters, skip: str = "") -> QuerySet:
    """Visible matches as rows of what the facets and the ranking need (no ORDER BY)."""
    words = terms(text)
    documents = search_matching(user=user, text=text, filters=filters, skip=skip)
    if words:
        documents = backend().rank(documents, words)
    else:
        documents = documents.annotate(score=Value(0.0, output_field=FloatField()))
    columns = ("id", "asset_type", "team__slug", "team__name", "status", "title", "score")
    return documents.order_by().values(*columns)


# One statement over the visible matches, read once into a materialized CTE: type/team/status
# counts (their sum is the total), tag/term counts, and the ids of one ranked page.
COMBINED_SQL = """
WITH m AS MATERIALIZED ({matches})
SELECT 'g' AS part, asset_type AS a, team__slug AS b, team__name AS c, status AS d,
       COUNT(*) AS n, CAST(NULL AS BIGINT) AS doc, CAST(NULL AS DOUBLE PRECISION) AS score
FROM m GROUP BY asset_type, team__slug, team__name, status
UNION ALL
SELECT 'f', facet, value, NULL, NULL, COUNT(*), NULL, NULL
FROM {facet_table} WHERE facet IN ({facet_names}) AND document_id IN (SELECT id FROM m)
GROUP BY facet, value
UNION ALL
SELECT * FROM (
    SELECT 'p', NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), id, score
    FROM m ORDER BY score DESC, title, id LIMIT %s OFFSET %s
) AS page
"""


def search_results(*, user, text: str, filters: SearchFilters, offset: int, limit: int) -> SearchResults:
    """Facets (each over the visible matches with the other facets' filters applied), the total and the
    ranked page `offset`..`offset + limit`.

    Facets whose own filter is not in use, the total and the page come from one statement that
    reads the visible matches once (a materialized CTE); each facet in use adds one query, and
    the page's rows one more (by primary key).
    """
    scope = _scope(user)
    counters: dict[str, dict[tuple[str, str], int]] = {name: {} for name in FACETS}
    facet_names = {"tag": FacetName.TAG, "term": FacetName.TERM}

    def count_grouped(row, names: tuple[str, ...]) -> None:
        asset_type, team_slug, team_name, status, count = row
        keys = {
            "type": (asset_type, type_label(asset_type)),
            "team": (team_slug, team_name) if team_slug else None,
            "status": (status, status.capitalize()) if status else None,
        }
        for name in names:
            if keys[name] is not None:
                counters[name][keys[name]] = counters[name].get(keys[name], 0) + count

    shared_grouped = tuple(name for name in ("type", "team", "status") if not getattr(filters, name))
    shared_labelled = tuple(name for name in ("tag", "term") if not getattr(filters, name))
    total, page_rows = 0, []
    try:
        matches, params = _ranked_values(user=scope, text=text, filters=filters).query.sql_with_params()
    except EmptyResultSet:
        matches = None
    if matches is not None:
        sql = COMBINED_SQL.format(
            matches=matches,
            facet_table=connection.ops.quote_name(SearchFacetValue._meta.db_table),
            facet_names=", ".join(["%s"] * len(shared_labelled)) or "NULL",
        )
        labels = [str(facet_names[name]) for name in shared_labelled]
        params = [*params, *labels, max(limit, 0), max(offset, 0)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for part, a, b, c, d, count, document_id, score in rows:
            if part == "g":
                total += count
                count_grouped((a, b, c, d, count), shared_grouped)
            elif part == "f":
                counters[a][(b, b)] = count
            else:
                page_rows.append((document_id, score))

    for name in ("type", "team", "status"):
        if getattr(filters, name):
            grouped = (
                _ranked_values(user=scope, text=text, filters=filters, skip=name)
                .values("asset_type", "team__slug", "team__name", "status")
                .annotate(count=Count("id"))
                .values_list("asset_type", "team__slug", "team__name", "status", "count")
            )
            for row in grouped:
                count_grouped(row, (name,))
    for name in ("tag", "term"):
        if getattr(filters, name):
            labelled = (
                SearchFacetValue.objects.filter(
                    facet=facet_names[name],
                    document__in=search_matching(user=scope, text=text, filters=filters, skip=name).values(
                        "id"
                    ),
                )
                .values("facet", "value")
                .annotate(count=Count("id"))
            )
            for row in labelled:
                counters[row["facet"]][(row["value"], row["value"])] = row["count"]

    documents = []
    if page_rows:
        loaded = SearchDocument.objects.select_related("team").in_bulk([pk for pk, _ in page_rows])
        for pk, score in page_rows:
            if pk in loaded:
                loaded[pk].score = score
                documents.append(loaded[pk])

    facets = {}
    for name in FACETS:
        ordered = sorted(counters[name].items(), key=lambda item: (-item[1], item[0][1]))[:FACET_LIMIT]
        selected = getattr(filters, name)
        facets[name] = [
            FacetCount(value, label, count, value in selected) for (value, label), count in ordered
        ]
    return SearchResults(facets=facets, total=total, offset=max(offset, 0), documents=documents)


class PrefetchedPage:
    """The ranked queryset with one page already fetched: slicing that page costs no query; any other
    slice (e.g. a page number past the end, which the paginator turns into the last page) runs one."""

    ordered = True

    def __init__(self, queryset: QuerySet, results: SearchResults, limit: int):
        self.queryset, self.results, self.limit = queryset, results, limit

    def __len__(self) -> int:
        return self.results.total

    def count(self) -> int:
        return self.results.total

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step is None and key.start == self.results.offset:
            stop = self.results.total if key.stop is None else key.stop
            if 0 <= stop - key.start <= self.limit:
                return self.results.documents[: stop - key.start]
        return self.queryset[key]


# --- snippets -----------------------------------------------------------------------------------
def snippet(body: str, words: list[str]) -> str:
    """Up to SNIPPET_CHARS of `body` around the first matching word (plain text)."""
    body = re.sub(r"\s+", " ", body or "").strip()
    if len(body) <= SNIPPET_CHARS:
        return body
    start = 0
    if words:
        found = re.search(r"\b(" + "|".join(re.escape(word) for word in words) + ")", body, re.IGNORECASE)
        if found:
            start = max(0, found.start() - SNIPPET_CHARS // 3)
    text = body[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + text + ("…" if start + SNIPPET_CHARS < len(body) else "")


def highlight(text: str, words: list[str]) -> SafeString:
    """`text` escaped, with words starting with a query word wrapped in <mark>."""
    escaped = html.escape(text)
    if not words:
        return mark_safe(escaped)  # noqa: S308 - escaped just above
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(html.escape(word)) for word in words) + r")", re.IGNORECASE
    )
    return mark_safe(pattern.sub(r"<mark>\1</mark>", escaped))  # noqa: S308 - built from escaped text

"""GET /api/v1/search/: one search across every asset type the user may see."""

from __future__ import annotations

import functools
from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import StandardPagination
from apps.search import selectors
from apps.search.api.serializers import SearchResponseSerializer


class SearchPagination(StandardPagination):
    max_page_size = 100


def _facet_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, many=True, description=description + " Repeat to OR values."
    )


class SearchView(APIView):
    """Ranked hits and facet counts, computed only over what the user may see."""

    pagination_class = SearchPagination

    @extend_schema(
        operation_id="search",
        tags=["search"],
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words to find; each may be a prefix."),
            _facet_parameter("type", 'Asset type, e.g. "catalog.dataset", "catalog.column".'),
            _facet_parameter("team", "Owning team's slug."),
            _facet_parameter("tag", "Tag name."),
            _facet_parameter("term", "Glossary term name."),
            _facet_parameter("status", 'Status, e.g. a quality status "failing".'),
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number (from 1)."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Hits per page (at most 100)."),
        ],
        responses=SearchResponseSerializer,
        description=(
            "Full-text search across datasets, columns, glossary terms and every other registered asset "
            "type. Without `q` and filters the answer is empty. Facets count, per value, the hits with "
            "the other facets' filters applied."
        ),
    )
    def get(self, request):
        text = request.query_params.get("q", "")[:200]
        filters = selectors.SearchFilters.from_query(request.query_params)
        scope = selectors.SearchScope(request.user)  # access computed once for count, page and facets
        paginator = self.pagination_class()
        size = paginator.get_page_size(request)
        number = request.query_params.get(paginator.page_query_param, "")
        offset = (max(int(number), 1) - 1) * size if number.isdigit() and len(number) < 7 else 0
        results = selectors.search_results(user=scope, text=text, filters=filters, offset=offset, limit=size)
        facets, total = results.facets, results.total
        paginator.django_paginator_class = functools.partial(selectors.CountedPaginator, count=total)
        documents = selectors.PrefetchedPage(
            selectors.search_ranked(user=scope, text=text, filters=filters), results, size
        )
        page = paginator.paginate_queryset(documents, request, view=self)
        hits = selectors.search_hits(page, text=text)
        return Response(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": [
                    {name: value for name, value in asdict(hit).items() if not name.startswith("_")}
                    for hit in hits
                ],
                "facets": {name: [asdict(count) for count in counts] for name, counts in facets.items()},
            }
        )

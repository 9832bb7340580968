"""The search page: as-you-type results (an htmx partial) with a facet sidebar."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.views.generic import TemplateView

from apps.search import selectors

PAGE_SIZE = 20


def _toggled(query, name: str, value: str) -> str:
    """This page's URL with `value` added to or removed from facet `name` (back to page 1)."""
    changed = query.copy()
    changed.pop("page", None)
    values = changed.getlist(name)
    changed.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return reverse("search:search") + "?" + changed.urlencode()


class SearchView(LoginRequiredMixin, TemplateView):
    """GET /search/?q=…&type=…&team=…&tag=…&term=…&status=…; htmx requests get the results partial."""

    template_name = "search/search.html"
    partial_template_name = "search/_results.html"

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = selectors.SearchScope(self.request.user)  # access computed once for count, page, facets
        text = self.request.GET.get("q", "")[:200]
        filters = selectors.SearchFilters.from_query(self.request.GET)
        asked = bool(selectors.terms(text)) or filters.any()
        hidden = [(name, value) for name in selectors.FACETS for value in getattr(filters, name)]
        context = super().get_context_data(
            q=text, filters=filters, asked=asked, hidden_filters=hidden, **kwargs
        )
        if not asked:
            return context
        number = self.request.GET.get("page", "")
        offset = (max(int(number), 1) - 1) * PAGE_SIZE if number.isdigit() and len(number) < 7 else 0
        results = selectors.search_results(
            user=user, text=text, filters=filters, offset=offset, limit=PAGE_SIZE
        )
        facets, total = results.facets, results.total
        ranked = selectors.PrefetchedPage(
            selectors.search_ranked(user=user, text=text, filters=filters), results, PAGE_SIZE
        )
        page = selectors.CountedPaginator(ranked, PAGE_SIZE, count=total).get_page(number)
        for name, counts in facets.items():
            for facet in counts:
                facet.url = _toggled(self.request.GET, name, facet.value)
        context.update(
            page_obj=page,
            hits=selectors.search_hits(page.object_list, text=text),
            facets=facets,
            facet_titles={
                "type": "Type",
                "team": "Team",
                "tag": "Tag",
                "term": "Glossary term",
                "status": "Status",
            },
        )
        return context

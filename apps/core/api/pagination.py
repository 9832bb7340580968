"""Page-number pagination for every API list: `count`, `next`, `previous`, `results`."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`?page=N&page_size=M` (M capped at 500); a page past the end is a JSON 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

"""Cross-team cases for the one search: bob finds nothing of Fraud's private assets, in hits,
counts or facets, whatever he types or filters on."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, matrix_case, private_asset

PRIVATE_COLUMN = "mule_account_score"


@private_asset("search_column")
def private_column_asset(world) -> list[str]:
    """A column of Fraud's private dataset, with a name only it has."""
    from apps.catalog.models import Column

    Column.objects.get_or_create(
        dataset=world.private_dataset, name=PRIVATE_COLUMN, defaults={"data_type": "double", "position": 99}
    )
    return [PRIVATE_COLUMN]


SEARCHES = [
    {},
    {"q": "Card"},
    {"q": "card transactions"},
    {"q": "chargeback"},
    {"q": "mule"},
    {"q": "mule_account"},
    {"q": "Mule", "type": "catalog.column"},
    {"q": "", "type": "catalog.dataset"},
    {"q": "", "team": "fraud-analytics"},
    {"q": "card", "team": "fraud-analytics", "type": "catalog.dataset"},
    {"q": "falcon"},
    {"q": "heuristic"},
]


@matrix_case("search:search")
def search_page(world):
    return Listing(queries=[*SEARCHES, {"q": "card", "page": "2"}])


@matrix_case("search-list")
def search_api(world):
    return Listing(queries=[*SEARCHES, {"q": "card", "page_size": "1"}])


@matrix_case("search-list")
def search_by_private_labels(world):
    # Filtering on a private tag or term must not reveal that anything carries it. (The page echoes
    # the filter a person typed in its form, so it is checked against the API, which does not.)
    from apps.catalog.tests.matrix_cases import PRIVATE_TAG, PRIVATE_TERM

    return Listing(
        queries=[
            {"tag": PRIVATE_TAG},
            {"term": PRIVATE_TERM},
            {"q": "card", "tag": PRIVATE_TAG, "term": PRIVATE_TERM},
        ]
    )

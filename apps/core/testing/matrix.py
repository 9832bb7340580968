"""The permission matrix: every URL route has a cross-team case, and every case holds.

A case is registered per route name and returns what the outsider (bob, of
Data Platform; `pam`, Data Platform's data officer, on the admin site) must
experience when Fraud Analytics owns private objects:

    @matrix_case("catalog:dataset_detail")
    def dataset_detail(world):
        dataset = world.private_dataset          # a conftest fixture, built now
        return Private(kwargs={"pk": dataset.pk}, obj=dataset)

- `Private`: an object route. Every method the route supports (GET, POST, PUT,
  PATCH, DELETE, and GET as an htmx partial) answers 404 (or the statuses
  given); the object is left unchanged; and every response is the same as
  when the object does not exist at all — no existence leak.
- `Listing`: a list, count, search, export, history or "my things" page. It
  answers 200 (or the status given) as an ordinary GET and as an htmx
  partial, contains none of the secrets (names, URLs, prefixes) of any
  standard private asset, and is byte-for-byte the same (up to CSRF tokens
  and times) as when the private objects do not exist — so counts leak too.
- `Refused`: an action on an object the outsider may see but not change:
  every supported method answers 403 (or 404) and the object is unchanged.

The "does not exist" baseline comes from a savepoint: the case builds its
private objects inside it, the requests run, the savepoint is rolled back and
the same requests run again.

Standard private assets (`@private_asset("dataset")`) are built for every
`Listing` case, so a new list page is checked against every kind of private
object the project has, and a new kind of object is checked on every list.

Later issues add `apps/<app>/tests/matrix_cases.py` with their cases and
private assets; `discover_cases()` imports them.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.apps import apps
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.core.testing.assertions import assert_absent, describe_difference, normalized_text

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- what a case expects ------------------------------------------------------
@dataclass
class Private:
    """An object route: the outsider gets 404 on every method, exactly as for a missing object."""

    kwargs: dict
    obj: models.Model | None = None
    client: str = "bob"
    statuses: frozenset[int] = frozenset({404})
    methods: tuple[str, ...] | None = None  # None: detected from the view
    query: dict = field(default_factory=dict)
    args: tuple = ()  # for routes with positional (unnamed regex) groups, instead of kwargs
    # The body of every non-GET request (JSON for API URLs), for routes that name their object in
    # the body (the MLflow API); a write the outsider could make would then really happen.
    data: dict = field(default_factory=dict)
    # Expected statuses of particular methods, instead of `statuses` (e.g. {"POST": {401}} where a
    # session may read but never write); each is still compared with the missing-object baseline.
    method_statuses: dict[str, frozenset[int]] = field(default_factory=dict)


@dataclass
class Listing:
    """A collection route: no private name, URL or count in the body; same as without them."""

    kwargs: dict = field(default_factory=dict)
    queries: list[dict] = field(default_factory=lambda: [{}])
    secrets: list[str] = field(default_factory=list)
    client: str = "bob"
    status: int = 200
    standard_assets: bool = True
    htmx: bool = True
    compare_without: bool = True
    args: tuple = ()
    method: str = "GET"  # "POST" for a create route, sent with `data`
    data: dict = field(default_factory=dict)


@dataclass
class Refused:
    """An action on a visible object the outsider may not change: refused, object unchanged."""

    kwargs: dict
    obj: models.Model | None = None
    client: str = "bob"
    statuses: frozenset[int] = frozenset({403, 404})
    methods: tuple[str, ...] | None = None
    args: tuple = ()
    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # the body of every non-GET request, as for Private


Expectation = Private | Listing | Refused
CaseBuilder = Callable[..., Expectation]


# --- registries ---------------------------------------------------------------
_CASES: dict[str, list[CaseBuilder]] = {}
_PRIVATE_ASSETS: dict[str, Callable[..., list[str]]] = {}


def matrix_case(*route_names: str) -> Callable[[CaseBuilder], CaseBuilder]:
    """Register a cross-team case for one or more route names (namespaced, e.g. "catalog:dataset_list")."""

    def register(builder: CaseBuilder) -> CaseBuilder:
        for name in route_names:
            _CASES.setdefault(name, []).append(builder)
        return builder

    return register


def private_asset(kind: str) -> Callable:
    """Register a builder of one private object of Fraud Analytics; it returns the object's secrets."""

    def register(builder):
        _PRIVATE_ASSETS[kind] = builder
        return builder

    return register


def registered_cases() -> dict[str, list[CaseBuilder]]:
    return dict(_CASES)


def discover_cases() -> None:
    """Import every app's `tests/matrix_cases.py`, where its cases and private assets are registered."""
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        module = f"{config.name}.tests.matrix_cases"
        if importlib.util.find_spec(f"{config.name}.tests") and importlib.util.find_spec(module):
            importlib.import_module(module)


def build_private_assets(world) -> list[str]:
    """Build every standard private asset; returns all their secrets."""
    secrets: list[str] = []
    for builder in _PRIVATE_ASSETS.values():
        secrets.extend(builder(world))
    return secrets


# --- the project's routes -----------------------------------------------------
@dataclass(frozen=True)
class Route:
    name: str  # namespaced name, or "<unnamed pattern>" when the pattern has none
    pattern: str
    callback: Callable

    @property
    def is_named(self) -> bool:
        return not self.name.startswith("<")


def project_routes() -> list[Route]:
    """Every URL pattern of the project, walking included resolvers (apps, API routers, admin)."""
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                if entry.name:
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                else:
                    name = f"<unnamed {pattern}>"
                found.append(Route(name=name, pattern=pattern, callback=entry.callback))

    walk(get_resolver(), "", "")
    return found


def supported_methods(callback: Callable) -> set[str] | None:
    """The HTTP methods a view answers (beyond 405), or None when it cannot be told (function views).

    A function view may declare them as `view.http_methods` (the MLflow endpoint decorator does).
    """
    declared = getattr(callback, "http_methods", None)
    if declared is not None:
        return set(declared) & set(METHODS)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return None
    allowed = {name.upper() for name in getattr(view_class, "http_method_names", [])}
    actions = getattr(callback, "actions", None)  # a DRF router route: method -> viewset action
    if actions:
        return {method.upper() for method in actions} & allowed & set(METHODS)
    return {method for method in METHODS if method in allowed and hasattr(view_class, method.lower())}


# --- running a case -----------------------------------------------------------
@dataclass
class Observation:
    label: str
    status: int
    location: str
    body: str


def _snapshot(obj: models.Model | None) -> dict | None:
    if obj is None:
        return None
    row = type(obj)._default_manager.filter(pk=obj.pk).values().first()
    return row


def _url(route: str, kwargs: dict, query: dict, args: tuple = ()) -> str:
    url = reverse(route, args=args) if args else reverse(route, kwargs=kwargs or None)
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def _send(client, method: str, url: str, *, api: bool, htmx: bool = False, data: dict | None = None):
    headers = {"HX-Request": "true"} if htmx else {}
    data = data or {}
    if method == "GET":
        return client.get(url, headers=headers)
    if api:
        return client.generic(method, url, json.dumps(data), content_type="application/json", headers=headers)
    body = urlencode(data, doseq=True)
    return client.generic(
        method, url, body, content_type="application/x-www-form-urlencoded", headers=headers
    )


def _observe(
    client, url: str, method: str, *, api: bool, htmx: bool = False, data: dict | None = None
) -> tuple[Observation, object]:
    response = _send(client, method, url, api=api, htmx=htmx, data=data)
    label = f"{method}{' (htmx)' if htmx else ''} {url}"
    observation = Observation(
        label, response.status_code, response.get("Location", ""), normalized_text(response)
    )
    return observation, response


def _compare(with_private: list[Observation], without: list[Observation]) -> None:
    for first, second in zip(with_private, without, strict=True):
        assert (first.status, first.location) == (second.status, second.location), (
            f"{first.label}: {first.status} {first.location!r} with another team's private object, "
            f"{second.status} {second.location!r} without it (an existence leak)"
        )
        assert first.body == second.body, describe_difference(first.label, first.body, second.body)


def run_case(world, route: Route, builder: CaseBuilder) -> None:
    """Build the case's private objects in a savepoint, check the outsider's responses, compare."""
    savepoint = transaction.savepoint()
    try:
        expectation = builder(world)
        if isinstance(expectation, Listing):
            plan, observed = _run_listing(world, route, expectation)
        elif isinstance(expectation, Private):
            plan, observed = _run_private(world, route, expectation)
        elif isinstance(expectation, Refused):
            _run_refused(world, route, expectation)
            return
        else:
            raise TypeError(f"{route.name}: a case returns Private, Listing or Refused, not {expectation!r}")
    finally:
        transaction.savepoint_rollback(savepoint)
    if plan is None:
        return
    # The same requests again, now that the private objects do not exist.
    client, api, requests = plan
    baseline = [
        _observe(client, url, method, api=api, htmx=htmx, data=data)[0]
        for url, method, htmx, data in requests
    ]
    _compare(observed, baseline)


def _client(world, name: str, url: str):
    api = url.startswith("/api/")
    return world.client_for(name, api=api), api


def _run_listing(world, route: Route, expectation: Listing):
    secrets = list(expectation.secrets)
    if expectation.standard_assets:
        secrets.extend(build_private_assets(world))
    requests = []
    for query in expectation.queries:
        url = _url(route.name, expectation.kwargs, query, expectation.args)
        requests.append((url, expectation.method, False, expectation.data))
        if expectation.htmx and expectation.method == "GET" and not url.startswith("/api/"):
            requests.append((url, "GET", True, {}))
    client, api = _client(world, expectation.client, requests[0][0])
    observed = []
    for url, method, htmx, data in requests:
        observation, response = _observe(client, url, method, api=api, htmx=htmx, data=data)
        assert response.status_code == expectation.status, (
            f"{observation.label} as {expectation.client}: expected {expectation.status}, "
            f"got {response.status_code}"
        )
        assert_absent(response, secrets, f"{observation.label} as {expectation.client}")
        observed.append(observation)
    if not expectation.compare_without:
        return None, observed
    return (client, api, requests), observed


def _methods(route: Route, declared: tuple[str, ...] | None) -> tuple[set[str], bool]:
    """The methods to hold to the expected statuses, and whether they were detected exactly."""
    if declared is not None:
        return set(declared), True
    detected = supported_methods(route.callback)
    return (detected, True) if detected is not None else (set(METHODS), False)


def _run_private(world, route: Route, expectation: Private):
    url = _url(route.name, expectation.kwargs, expectation.query, expectation.args)
    client, api = _client(world, expectation.client, url)
    supported, exact = _methods(route, expectation.methods)
    before = _snapshot(expectation.obj)
    requests = [(url, method, False, expectation.data if method != "GET" else {}) for method in METHODS]
    if not api:
        requests.append((url, "GET", True, {}))
    observed = []
    for _, method, htmx, data in requests:
        observation, response = _observe(client, url, method, api=api, htmx=htmx, data=data)
        allowed = set(expectation.method_statuses.get(method, expectation.statuses))
        if not exact:  # a function view: a method it does not take may answer 405 before any lookup
            allowed.add(405)
        if method in supported:
            assert response.status_code in allowed, (
                f"{observation.label} as {expectation.client}: expected {sorted(allowed)} for another "
                f"team's private object, got {response.status_code}"
            )
        observed.append(observation)
    if expectation.obj is not None:
        assert _snapshot(expectation.obj) == before, f"{route.name}: the outsider changed the object"
    return (client, api, requests), observed


def _run_refused(world, route: Route, expectation: Refused) -> None:
    url = _url(route.name, expectation.kwargs, expectation.query, expectation.args)
    client, api = _client(world, expectation.client, url)
    supported, exact = _methods(route, expectation.methods)
    before = _snapshot(expectation.obj)
    for method in sorted(supported):
        data = expectation.data if method != "GET" else {}
        observation, response = _observe(client, url, method, api=api, data=data)
        allowed = set(expectation.statuses) | (set() if exact else {405})
        assert response.status_code in allowed, (
            f"{observation.label} as {expectation.client}: "
            f"expected {sorted(allowed)}, got {response.status_code}"
        )
    if expectation.obj is not None:
        assert _snapshot(expectation.obj) == before, f"{route.name}: the outsider changed the object"

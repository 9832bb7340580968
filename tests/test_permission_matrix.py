"""The permission matrix: every URL route in the project has a cross-team case, and each holds.

The outsider is bob (Data Platform), signed in; on the admin site it is pam,
Data Platform's data officer (staff). Fraud Analytics owns the private objects.
See apps/core/testing/matrix.py for what Private, Listing and Refused check.

A route with no case and no entry in ALLOW_LIST fails
`test_every_route_has_a_cross_team_case`: add a case here (foundation routes)
or in `apps/<app>/tests/matrix_cases.py` (later issues).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, path, reverse

from apps.catalog.models import Dataset
from apps.catalog.services import dataset_update
from apps.core.testing import fixtures as cast_fixtures
from apps.core.testing.matrix import (
    Listing,
    Private,
    Refused,
    discover_cases,
    matrix_case,
    private_asset,
    project_routes,
    registered_cases,
    run_case,
)
from apps.jobs.models import Job
from apps.teams.models import Membership
from apps.teams.services import token_issue

# The cast's fixtures, made available to this module's tests.
pam = cast_fixtures.pam
world = cast_fixtures.world

# --- routes that expose no team data, each with its reason -------------------
ALLOW_LIST: list[tuple[str, str]] = [
    # Authentication: the requester's own account only, no team data.
    (r"login|logout|password_change|password_change_done", "sign-in and password pages of the requester"),
    (r"password_reset|password_reset_done|password_reset_confirm|password_reset_complete", "password reset"),
    (r"admin:(login|logout|password_change|password_change_done)", "the admin's own sign-in pages"),
    (r"admin:jsi18n", "the admin's JavaScript translation catalogue"),
    # Operations endpoints for monitoring systems.
    (r"healthz", "database and broker reachability; no rows"),
    (r"metrics", "Prometheus counters: requests by view, jobs counted by kind and state; no names or teams"),
    # The API's description, not its data.
    (r"api-schema|api-docs", "the OpenAPI document and Swagger UI describe routes, never rows"),
    (r"api-not-found", "the API's catch-all answers a JSON 404 for every unknown path; it reads nothing"),
    (r"mlflow_api:not-found", "the MLflow API's catch-all: ENDPOINT_NOT_FOUND for any unknown path"),
    # Django admin internals that never look an object up.
    (r"<unnamed admin/\(\?P<url>\.\*\)\$>", "the admin's final catch-all: 404 or append-slash redirect"),
    (
        r"<unnamed admin/[a-z_]+/[a-z_]+/<path:object_id>/>",
        "Django's legacy admin URL: redirects to the change page without a lookup (covered there)",
    ),
    # Admin pages of models with global Django permissions and no team data: a data officer
    # holds no global permission, so these answer 403; only superusers use them.
    (r"admin:auth_(user|group)_\w+", "users and groups: superusers only"),
    (r"admin:django_celery_beat_\w+", "beat schedules: superusers only"),
    # Static and media files are served outside the URLconf (whitenoise, storage).
    (r"<unnamed (static|media)/.*>", "static assets and uploaded files are not team-scoped views"),
]


def allow_listed(route_name: str) -> str | None:
    for pattern, reason in ALLOW_LIST:
        if re.fullmatch(pattern, route_name):
            return reason
    return None


# --- standard private assets of Fraud Analytics --------------------------------
@private_asset("dataset")
def private_dataset_asset(world) -> list[str]:
    dataset = world.private_dataset
    dataset_update(
        dataset=dataset, by=world.alice, description="Chargeback patterns from the EU card issuers"
    )
    return [
        dataset.name,
        "Chargeback patterns",
        f"/catalog/datasets/{dataset.pk}/",
        f"/api/v1/datasets/{dataset.pk}/",
    ]


@pytest.fixture
def fraud_job(fraud_team, alice):
    return Job.objects.create(
        kind="profile",
        team=fraud_team,
        requester=alice,
        status="running",
        progress=40,
        progress_message="Profiling the card ledger, shard 7 of 9",
    )


@private_asset("job")
def private_job_asset(world) -> list[str]:
    job = world.fraud_job
    return [job.progress_message, f"/jobs/{job.pk}/", f"/api/v1/jobs/{job.pk}/"]


@pytest.fixture
def alice_token(alice):
    token, _ = token_issue(user=alice, name="alice-fraud-laptop")
    return token


@private_asset("token")
def private_token_asset(world) -> list[str]:
    token = world.alice_token
    return [token.name, token.prefix]


# --- core ----------------------------------------------------------------------
@matrix_case("home", "home_jobs", "teams:team_list", "teams:roles", "me", "account:token_list", "token-list")
def own_things_and_directories(world):
    return Listing()


@matrix_case(*[f"section:{slug}" for slug in ("quality", "slas")])
@matrix_case("section:dashboards")
def section_placeholders(world):
    return Listing(queries=[{}, {"q": "Card"}])


# --- teams ---------------------------------------------------------------------
@matrix_case("teams:team_detail")
def team_page(world):
    # Teams are a directory everyone may read; their private assets and activity are not.
    slug = world.fraud_team.slug
    return Listing(kwargs={"slug": slug}, queries=[{}, {"tab": "assets"}, {"tab": "activity"}])


@matrix_case("teams:team_history")
def team_history(world):
    return Listing(kwargs={"slug": world.fraud_team.slug})


@matrix_case("teams:member_add")
def member_add(world):
    return Refused(kwargs={"slug": world.fraud_team.slug}, obj=world.fraud_team)


@matrix_case("teams:member_role", "teams:member_remove")
def member_change(world):
    membership = Membership.objects.get(team=world.fraud_team, user=world.alice)
    return Refused(kwargs={"slug": world.fraud_team.slug, "pk": membership.pk}, obj=membership)


@matrix_case("team-list")
def api_team_list(world):
    return Listing(queries=[{}, {"search": "Fraud"}])


@matrix_case("team-detail")
def api_team_detail(world):
    return Listing(kwargs={"slug": world.fraud_team.slug})


@matrix_case("team-detail")
def api_team_change(world):
    return Refused(kwargs={"slug": world.fraud_team.slug}, obj=world.fraud_team, methods=("PUT", "PATCH"))


@matrix_case("membership-list")
def api_membership_list(world):
    return Listing(queries=[{}, {"team": world.fraud_team.slug}])


@matrix_case("membership-detail")
def api_membership_detail(world):
    membership = Membership.objects.get(team=world.fraud_team, user=world.alice)
    return Listing(kwargs={"pk": membership.pk})


@matrix_case("membership-detail")
def api_membership_change(world):
    membership = Membership.objects.get(team=world.fraud_team, user=world.alice)
    return Refused(kwargs={"pk": membership.pk}, obj=membership, methods=("PUT", "PATCH", "DELETE"))


# --- tokens: only ever their owner's -------------------------------------------
@matrix_case("account:token_revoke", "token-detail", "token-revoke")
def someone_elses_token(world):
    token = world.alice_token
    return Private(kwargs={"pk": token.pk}, obj=token)


# --- jobs ----------------------------------------------------------------------
@matrix_case("jobs:job_list")
def job_list(world):
    return Listing(queries=[{}, {"status": "running"}, {"kind": "profile"}])


@matrix_case("jobs:job_detail", "jobs:job_progress", "jobs:job_cancel", "job-detail", "job-cancel")
def fraud_job_routes(world):
    job = world.fraud_job
    return Private(kwargs={"pk": job.pk}, obj=job)


@matrix_case("jobs:job_start")
def job_start(world):
    # Starting a job takes no object of another team: the outcome must not depend on Fraud's jobs.
    return Listing(method="POST", data={"kind": "no-such-kind"}, status=302)


@matrix_case("job-list")
def api_job_list(world):
    return Listing(queries=[{}, {"status": "running"}])


# --- catalog -------------------------------------------------------------------
@matrix_case("catalog:dataset_list", "catalog:dataset_export")
def dataset_lists(world):
    fraud = world.fraud_team.slug
    return Listing(queries=[{}, {"q": "Card"}, {"team": fraud}, {"visibility": "private"}, {"sort": "-name"}])


@matrix_case("catalog:dataset_create")
def dataset_create_form(world):
    return Listing()


@matrix_case("catalog:dataset_detail", "catalog:dataset_edit", "catalog:dataset_history", "dataset-detail")
def private_dataset_routes(world):
    dataset = world.private_dataset
    return Private(kwargs={"pk": dataset.pk}, obj=dataset)


@matrix_case("dataset-list")
def api_dataset_list(world):
    fraud = world.fraud_team.slug
    return Listing(queries=[{}, {"search": "Card"}, {"team": fraud}, {"visibility": "private"}])


# --- creating into another team: refused, whatever Fraud owns -----------------------
@matrix_case("job-list")
def api_job_start_for_another_team(world):
    data = {"kind": "jobs.demo_countdown", "team": world.fraud_team.slug, "params": {"seconds": 1}}
    return Listing(method="POST", data=data, status=400)


@matrix_case("dataset-list")
def api_dataset_create_in_another_team(world):
    return Listing(method="POST", data={"name": "Sneaky", "team": world.fraud_team.slug}, status=400)


@matrix_case("membership-list")
def api_membership_create_in_another_team(world):
    data = {"team": world.fraud_team.slug, "user": "bob", "role": "data_officer"}
    return Listing(method="POST", data=data, status=403)


@matrix_case("team-list")
def api_team_create(world):
    return Listing(method="POST", data={"name": "Shadow team", "kind": "business"}, status=403)


@matrix_case("catalog:dataset_create")
def dataset_create_in_another_team(world):
    data = {"team": world.fraud_team.pk, "name": "Sneaky", "visibility": "private"}
    return Listing(method="POST", data=data, status=200)  # the form again, with an error on the team


# --- admin site, as pam (data officer of Data Platform) ------------------------
# A read-only or superuser-only admin refuses a change or delete with 403 before any lookup,
# so 403 is allowed on object routes: the comparison with a missing object proves no leak.
ADMIN_OBJECT_STATUSES = {302, 403, 404}
ADMIN_OBJECTS = {
    # admin prefix: (Fraud's object, status of the changelist for pam, status of the add form)
    "catalog_dataset": (lambda world: world.private_dataset, 200, 200),
    "jobs_job": (lambda world: world.fraud_job, 200, 403),
    "teams_team": (lambda world: world.fraud_team, 200, 403),
    "teams_membership": (
        lambda world: Membership.objects.get(team=world.fraud_team, user=world.alice),
        200,
        200,
    ),
    # Tokens are superuser-only: a data officer is refused the list and never reaches a row.
    "teams_personalaccesstoken": (lambda world: world.alice_token, 403, 403),
}


def _register_admin_cases(prefix: str, get_object, list_status: int, add_status: int) -> None:
    @matrix_case(f"admin:{prefix}_changelist")
    def changelist(world):
        return Listing(client="pam", status=list_status, queries=[{}, {"q": "Card"}])

    @matrix_case(f"admin:{prefix}_add")
    def add_form(world):
        return Listing(client="pam", status=add_status)

    @matrix_case(f"admin:{prefix}_change", f"admin:{prefix}_delete", f"admin:{prefix}_history")
    def object_pages(world):
        obj = get_object(world)
        return Private(
            kwargs={"object_id": obj.pk}, obj=obj, client="pam", statuses=frozenset(ADMIN_OBJECT_STATUSES)
        )

    @matrix_case(f"admin:{prefix}_simple_history")
    def revert_page(world):
        obj = get_object(world)
        record = obj.history.first()
        # The route is a positional regex: object id, then the historical record's id.
        return Private(
            kwargs={},
            args=(obj.pk, record.history_id),
            obj=obj,
            client="pam",
            statuses=frozenset(ADMIN_OBJECT_STATUSES),
        )


for _prefix, _spec in ADMIN_OBJECTS.items():
    _register_admin_cases(_prefix, *_spec)


@matrix_case("admin:index")
def admin_index(world):
    return Listing(client="pam")


@matrix_case("admin:app_list")
def admin_app_list(world):
    return Listing(client="pam", kwargs={"app_label": "catalog"})


@matrix_case("admin:autocomplete")
def admin_autocomplete(world):
    # Team choices come from TeamAdmin.get_queryset: pam gets only the teams he manages.
    query = {"app_label": "catalog", "model_name": "dataset", "field_name": "team", "term": "Fraud"}
    return Listing(client="pam", queries=[query, {**query, "term": ""}])


@matrix_case("admin:view_on_site")
def admin_view_on_site(world):
    dataset = world.private_dataset
    content_type = ContentType.objects.get_for_model(Dataset)
    return Private(kwargs={"content_type_id": content_type.pk, "object_id": dataset.pk}, client="pam")


# --- the tests -----------------------------------------------------------------
discover_cases()
ROUTES = {route.name: route for route in project_routes()}
CASES = [
    pytest.param(route_name, index, id=f"{route_name}#{index}")
    for route_name, builders in sorted(registered_cases().items())
    if route_name in ROUTES
    for index in range(len(builders))
]


def test_every_route_has_a_cross_team_case():
    cases = registered_cases()
    missing = [name for name in ROUTES if name not in cases and allow_listed(name) is None]
    assert not missing, (
        "Routes without a cross-team case in the permission matrix (add a @matrix_case, "
        "or an ALLOW_LIST entry with its reason if the route shows no team data):\n  " + "\n  ".join(missing)
    )


def test_every_allow_list_entry_still_matches_a_route():
    unused = [pattern for pattern, _ in ALLOW_LIST if not any(re.fullmatch(pattern, name) for name in ROUTES)]
    unused = [pattern for pattern in unused if "static" not in pattern]  # absent when DEBUG is off
    assert not unused, f"Allow-list entries matching no route (remove them): {unused}"


@pytest.mark.django_db
@pytest.mark.parametrize(("route_name", "index"), CASES)
def test_the_outsider_sees_nothing_private(world, route_name, index):
    builder = registered_cases()[route_name][index]
    route = ROUTES[route_name]
    run_case(world, route, builder)


def test_cases_name_only_existing_or_announced_routes():
    # Cases may be registered ahead of their route (e.g. jobs:job_cancel); a typo would never run.
    announced = {"jobs:job_progress", "jobs:job_cancel", "job-detail", "job-cancel", "job-list"}
    unknown = set(registered_cases()) - set(ROUTES) - announced
    assert not unknown, f"Cases for routes that do not exist: {sorted(unknown)}"


@pytest.mark.django_db
def test_fraud_jobs_are_invisible_to_bob(world, fraud_job):
    """A Fraud Analytics job requested by alice: not listed for bob, 404 on each of its routes."""
    bob = world.client_for("bob")
    api = world.client_for("bob", api=True)
    listing = bob.get(reverse("jobs:job_list"))
    assert listing.status_code == 200
    assert fraud_job.progress_message not in listing.content.decode()
    assert f"/jobs/{fraud_job.pk}/" not in listing.content.decode()
    try:
        api_listing = api.get(reverse("job-list"))
    except NoReverseMatch:
        api_listing = None
    if api_listing is not None:
        assert api_listing.status_code == 200
        assert all(row["id"] != fraud_job.pk for row in api_listing.json()["results"])
    for name in ("jobs:job_detail", "jobs:job_progress", "jobs:job_cancel", "job-detail", "job-cancel"):
        try:
            url = reverse(name, kwargs={"pk": fraud_job.pk})
        except NoReverseMatch:
            continue  # not built yet; the matrix test fails the day it appears without a case
        client = api if url.startswith("/api/") else bob
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in {404, 405}, f"{method.upper()} {url}: {response.status_code}"
    fraud_job.refresh_from_db()
    assert fraud_job.status == "running"
    assert not fraud_job.cancel_requested


# --- the matrix catches leaks: deliberately leaky views under a test URLconf --------
def _leaky_names(request):
    return HttpResponse(", ".join(Dataset.objects.values_list("name", flat=True)))


def _leaky_count(request):
    return HttpResponse(f"{Dataset.objects.count()} datasets")


def _leaky_detail(request, pk):
    if not Dataset.objects.filter(pk=pk).exists():
        raise Http404
    return HttpResponse(status=403)  # "exists, but not yours": an existence leak


urlpatterns = [
    path("leaky/names/", _leaky_names, name="leaky_names"),
    path("leaky/count/", _leaky_count, name="leaky_count"),
    path("leaky/<int:pk>/", _leaky_detail, name="leaky_detail"),
]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("route_name", "expectation", "message"),
    [
        ("leaky_names", lambda world: Listing(), "leaked"),
        ("leaky_count", lambda world: Listing(), "changes when another team's private objects exist"),
        (
            "leaky_detail",
            lambda world: Private(kwargs={"pk": world.private_dataset.pk}),
            "expected [404, 405]",
        ),
    ],
)
def test_the_matrix_catches_a_leak(world, route_name, expectation, message):
    route = next(route for route in project_routes() if route.name == route_name)
    with pytest.raises(AssertionError, match=re.escape(message)):
        run_case(world, route, expectation)

"""The MLflow API's fast token lookup follows the teams rule exactly (revoked, expired, inactive, touch)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.permissions import Action
from apps.experiments.errors import TrackingError
from apps.experiments.selectors.tracking import run_get_for_logging
from apps.experiments.services.tracking import experiment_create, run_create
from apps.mlflow_api.auth import (
    INVALID_TOKEN_MESSAGE,
    token_user,
    token_user_with_run,
    token_user_with_run_logging,
)
from apps.mlflow_api.errors import PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, UNAUTHENTICATED, MlflowError
from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_authenticate, token_issue, token_revoke

pytestmark = pytest.mark.django_db


def test_a_usable_token_gives_its_user_and_touches_its_last_use_once_a_minute(alice):
    token, raw = token_issue(user=alice, name="laptop")
    assert token_user(raw) == alice == token_authenticate(raw).user
    touched = PersonalAccessToken.objects.get(pk=token.pk).last_used_at
    assert touched is not None
    token_user(raw)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at == touched  # within the minute
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=touched - timedelta(minutes=5))
    token_user(raw)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at > touched - timedelta(minutes=5)


def test_revoked_expired_unknown_and_inactive_are_refused_as_by_the_teams_rule(alice, bob):
    _, revoked = token_issue(user=alice, name="old")
    token_revoke(token=PersonalAccessToken.objects.get(name="old"), by=alice)
    expired_token, expired = token_issue(
        user=alice, name="short", expires_at=timezone.now() + timedelta(hours=1)
    )
    PersonalAccessToken.objects.filter(pk=expired_token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _, bobs = token_issue(user=bob, name="bob")
    bob.is_active = False
    bob.save()
    for raw in (revoked, expired, bobs, "atr_not-a-token", "", "x" * 300):
        assert token_user(raw) is None
        assert token_authenticate(raw) is None


def _outcome(call):
    """What a lookup gives: the user's and run's ids, or the error's code and message."""
    try:
        user, run = call()
    except MlflowError as error:
        return ("mlflow", error.error_code, error.message)
    except TrackingError as error:
        return ("tracking", error.code, error.message)
    return (user.pk, run.pk)


def test_the_token_with_the_run_in_one_statement_decides_as_the_two_lookups(
    alice, ann, bob, django_assert_num_queries
):
    """token_user_with_run (the hot routes' one statement) against token_user then
    run_get_for_logging: the same user, run or refusal for members, a viewer, another team, an
    internal experiment, no such run, an overlong id and an unusable token."""
    private = run_create(experiment=experiment_create(by=alice, name="Private"), by=alice)
    internal = run_create(
        experiment=experiment_create(by=alice, name="Internal", visibility="internal"), by=alice
    )
    _, revoked = token_issue(user=alice, name="old")
    token_revoke(token=PersonalAccessToken.objects.get(name="old"), by=alice)
    tokens = {user.username: token_issue(user=user, name="t")[1] for user in (alice, ann, bob)}
    tokens["revoked"] = revoked

    def two_lookups(raw, run_id, action):
        user = token_user(raw)
        if user is None:
            raise MlflowError(INVALID_TOKEN_MESSAGE, UNAUTHENTICATED)
        return user, run_get_for_logging(user=user, run_id=run_id, action=action)

    seen = set()
    for raw in tokens.values():
        token_user(raw)  # the last use is touched once a minute: not in the compared calls
        for run_id in (private.uuid, internal.uuid, "0" * 32, "x" * 65):
            for action in (Action.VIEW, Action.CHANGE):
                one = _outcome(lambda: token_user_with_run(raw, run_id, action))  # noqa: B023
                assert one == _outcome(lambda: two_lookups(raw, run_id, action)), (raw, run_id, action)  # noqa: B023
                seen.add(one if isinstance(one[0], str) else "allowed")
    assert {outcome[1] for outcome in seen if outcome != "allowed"} == {
        UNAUTHENTICATED,
        RESOURCE_DOES_NOT_EXIST,
        PERMISSION_DENIED,
    }
    assert "allowed" in seen
    with django_assert_num_queries(1):
        assert token_user_with_run(tokens["alice"], private.uuid, Action.CHANGE)[1].pk == private.pk


def test_logging_with_the_lookup_writes_exactly_where_the_ordinary_way_would(
    alice, ann, bob, olivia, root, django_assert_num_queries
):
    """token_user_with_run_logging (log-metric's one statement) against the lookup then
    run_metrics_log: the same outcome and the same stored points for each role, a superuser,
    another team, an internal experiment, an explicit grant, a deleted run and a bad point; and
    the point written by the lookup's statement only where the rule plainly allows it."""
    from guardian.shortcuts import assign_perm

    from apps.experiments.models import Metric
    from apps.experiments.services.tracking import run_delete, run_metrics_log

    private = run_create(experiment=experiment_create(by=alice, name="Private"), by=alice)
    internal = run_create(
        experiment=experiment_create(by=alice, name="Internal", visibility="internal"), by=alice
    )
    deleted = run_delete(run=run_create(experiment=private.experiment, by=alice), by=alice)
    granted = run_create(experiment=experiment_create(by=alice, name="Granted"), by=alice)
    assign_perm("experiments.change_experiment", bob, granted.experiment)
    tokens = {user.username: token_issue(user=user, name="t")[1] for user in (alice, ann, bob, olivia, root)}

    def with_the_lookup(raw, run_id, point):
        user, run, logged = token_user_with_run_logging(raw, run_id, [point])
        if logged:
            logged_for.add((user.username, run.pk))
        else:  # as the log-metric view does
            run_metrics_log(run=run, by=user, metrics=[point])

    def the_ordinary_way(raw, run_id, point):
        user, run = token_user_with_run(raw, run_id, Action.CHANGE)
        run_metrics_log(run=run, by=user, metrics=[point])

    def outcome(call, *args):
        try:
            call(*args)
        except MlflowError as error:
            return ("mlflow", error.error_code, error.message)
        except TrackingError as error:
            return ("tracking", error.code, error.message)
        return ("ok",)

    def stored(run, key):
        return list(Metric.objects.filter(run=run, key=key).values_list("value", "timestamp", "step"))

    logged_for = set()
    for name, raw in tokens.items():
        token_user(raw)  # the last use is touched once a minute: not in the compared calls
        for run in (private, internal, deleted, granted):
            for index, (value, timestamp) in enumerate([(0.5, 1_700_000_000_000), (0.5, -1)]):
                key = f"{name}-{index}"
                one = outcome(with_the_lookup, raw, run.uuid, (f"{key}-one", value, timestamp, 3))
                other = outcome(the_ordinary_way, raw, run.uuid, (f"{key}-other", value, timestamp, 3))
                same = [str(part).replace(f"{key}-one", key) for part in one]
                assert same == [str(part).replace(f"{key}-other", key) for part in other], (name, run.name)
                assert stored(run, f"{key}-one") == stored(run, f"{key}-other"), (name, run.name)
    if connection.vendor == "postgresql":
        # Members whose role may change the team's assets, and superusers, on an active run (not bob's
        # explicit grant, nor the deleted run: those take the ordinary way).
        assert logged_for == {
            (name, run.pk) for name in ("alice", "olivia", "root") for run in (private, internal, granted)
        }
        with django_assert_num_queries(1):
            assert token_user_with_run_logging(tokens["alice"], private.uuid, [("one", 1.0, 1, 1)])[2]
    else:
        assert logged_for == set()  # the lookup's statement writes on PostgreSQL only


@pytest.mark.parametrize("route", ["runs/log-metric", "runs/log-batch", "runs/set-tag"])
def test_the_hot_routes_answer_who_is_asking_before_what_is_wrong_with_the_request(client, alice, route):
    """A bad token is UNAUTHENTICATED whatever the body; a good one learns what the body lacks."""
    _, good = token_issue(user=alice, name="good")
    run = run_create(experiment=experiment_create(by=alice, name="Hot"), by=alice)

    def post(token, body):
        return client.post(
            f"/api/2.0/mlflow/{route}", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip

    for body in ("{not json", "{}", json.dumps({"run_id": run.uuid})):
        response = post("atr_nope", body)
        assert (response.status_code, response.json()["error_code"]) == (401, UNAUTHENTICATED)
    assert post(good, "{not json").json()["error_code"] == "BAD_REQUEST"
    response = post(good, "{}")
    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "run_id" in response.json()["message"]
    complete = {"run_id": "0" * 32}
    if route == "runs/log-metric":
        # As MLflow's server: the point's own fields are checked before the run is looked up.
        response = post(good, json.dumps(complete))
        assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert "key" in response.json()["message"]
        complete.update(key="rmse", value=0.5, timestamp=1_700_000_000_000)
    response = post(good, json.dumps(complete))
    assert (response.status_code, response.json()["error_code"]) == (404, RESOURCE_DOES_NOT_EXIST)

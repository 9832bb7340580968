"""Shared fixtures: a fixed cast of users reused by every permission test.

- `alice`: data scientist in Fraud Analytics (the owning team)
- `olivia`: data officer of Fraud Analytics (staff)
- `ann`: analyst (read-only) in Fraud Analytics
- `bob`: data engineer in Data Platform (another team: the outsider)
- `root`: superuser
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
os.environ.setdefault("ATRIUM_FAST_PASSWORDS", "1")

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test users only


def pytest_configure(config):
    # pytest-django imports settings before this file runs, so the variable above comes too late
    # for base.py; set the fast hasher here as well (PBKDF2 would dominate the suite's time).
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, **extra):
        return django_user_model.objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@example.org", **extra
        )

    return make


@pytest.fixture
def root(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def fraud_team(root):
    from apps.teams.services import team_create

    return team_create(name="Fraud Analytics", kind="data_science", by=root)


@pytest.fixture
def platform_team(root):
    from apps.teams.services import team_create

    return team_create(name="Data Platform", kind="data_engineering", by=root)


def _member(make_user, team, username, role, by, **extra):
    from apps.teams.services import membership_set

    user = make_user(username, **extra)
    membership_set(team=team, user=user, role=role, by=by)
    return user


@pytest.fixture
def alice(make_user, fraud_team, root):
    return _member(make_user, fraud_team, "alice", "data_scientist", root)


@pytest.fixture
def olivia(make_user, fraud_team, root):
    return _member(make_user, fraud_team, "olivia", "data_officer", root, is_staff=True)


@pytest.fixture
def ann(make_user, fraud_team, root):
    return _member(make_user, fraud_team, "ann", "analyst", root)


@pytest.fixture
def bob(make_user, platform_team, root):
    return _member(make_user, platform_team, "bob", "data_engineer", root)


@pytest.fixture
def private_dataset(fraud_team, alice):
    from apps.catalog.models import Dataset
    from apps.core.history import acting_user

    with acting_user(alice):
        return Dataset.objects.create(
            team=fraud_team, name="Card transactions", slug="card-transactions", visibility="private"
        )


@pytest.fixture
def internal_dataset(fraud_team, alice):
    from apps.catalog.models import Dataset
    from apps.core.history import acting_user

    with acting_user(alice):
        return Dataset.objects.create(
            team=fraud_team, name="Merchant list", slug="merchant-list", visibility="internal"
        )

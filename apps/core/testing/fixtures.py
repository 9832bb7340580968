"""The fixed cast as pytest fixtures, on top of the root conftest's users.

Import the fixtures you use into a test module (`from apps.core.testing.fixtures
import world  # noqa: F401`) or list this module in `pytest_plugins`.

- owner team: Fraud Analytics — `alice` (data scientist), `olivia` (data officer, staff), `ann` (analyst);
- outsider: `bob`, data engineer in Data Platform, signed in;
- outsider data officer: `pam`, data officer of Data Platform and staff (for the admin site);
- `root`, superuser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client


@dataclass
class World:
    """The cast, their signed-in clients, and lazy access to any other fixture by name."""

    request: Any
    users: dict[str, Any]
    clients: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str):
        # `world.private_dataset` builds the conftest fixture on first use (inside the case's savepoint).
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.users:
            return self.users[name]
        return self.request.getfixturevalue(name)

    def client_for(self, username: str, *, api: bool = False) -> Client:
        """A client signed in as `username`: a session for pages, a Bearer token for the API."""
        key = f"{username}:{'api' if api else 'web'}"
        if key not in self.clients:
            if api:
                self.clients[key] = Client(headers={"Authorization": f"Bearer {self.token_for(username)}"})
            else:
                client = Client()
                client.force_login(self.users[username])
                self.clients[key] = client
        return self.clients[key]

    def token_for(self, username: str) -> str:
        from apps.teams.services import token_issue

        if username not in self.tokens:
            _, raw = token_issue(user=self.users[username], name=f"{username} matrix token")
            self.tokens[username] = raw
        return self.tokens[username]


@pytest.fixture
def pam(make_user, platform_team, root):
    """Data officer of Data Platform (staff): the outsider on the admin site."""
    from apps.teams.services import membership_set

    user = make_user("pam", is_staff=True)
    membership_set(team=platform_team, user=user, role="data_officer", by=root)
    return user


@pytest.fixture
def world(request, root, fraud_team, platform_team, alice, olivia, ann, bob, pam) -> World:
    """Everyone in the cast, signed in, before any case builds its private objects.

    Sessions and tokens exist before a case's savepoint, so rolling it back
    does not sign anyone out; one API call stamps the tokens' last use.
    """
    world = World(
        request=request,
        users={"root": root, "alice": alice, "olivia": olivia, "ann": ann, "bob": bob, "pam": pam},
    )
    for username in ("bob", "pam"):
        world.client_for(username)
        world.client_for(username, api=True).get("/api/v1/me/")
    return world

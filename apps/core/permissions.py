"""Roles and the actions each may take on its own team's assets.

This table is the single source of truth; docs/permissions.md renders it and
`restrict()` reads it. A user may hold one role in each of several teams.
"""

from django.db import models


class Action(models.TextChoices):
    VIEW = "view", "View"
    ADD = "add", "Create"
    CHANGE = "change", "Edit"
    DELETE = "delete", "Delete"
    RUN = "run", "Run jobs (profile, check, train)"
    APPROVE = "approve", "Approve (access, model versions)"
    RELEASE = "release", "Release and operate in production"
    MANAGE = "manage", "Manage the team (members, grants)"


class Role(models.TextChoices):
    DATA_SCIENTIST = "data_scientist", "Data scientist"
    DATA_ENGINEER = "data_engineer", "Data engineer"
    ML_ENGINEER = "ml_engineer", "ML engineer"
    IT_OPERATIONS = "it_operations", "IT operations"
    DATA_OFFICER = "data_officer", "Data officer"
    ANALYST = "analyst", "Analyst (read-only)"


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.DATA_SCIENTIST: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.RUN}),
    Role.DATA_ENGINEER: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE, Action.RUN}),
    Role.ML_ENGINEER: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.RUN, Action.RELEASE}),
    Role.IT_OPERATIONS: frozenset({Action.VIEW, Action.CHANGE, Action.RUN, Action.RELEASE}),
    Role.DATA_OFFICER: frozenset(Action.values),
    Role.ANALYST: frozenset({Action.VIEW}),
}


def roles_allowed(action: str) -> list[str]:
    """The roles whose members may take `action` on their own team's assets."""
    if action not in Action.values:
        raise ValueError(f"Unknown action {action!r}; expected one of {Action.values}")
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def role_may(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


def permission_table() -> list[tuple[str, list[bool]]]:
    """Rows of (role label, [allowed per action]) in Action order, for docs and the teams page."""
    return [
        (Role(role).label, [action in actions for action in Action.values])
        for role, actions in ROLE_ACTIONS.items()
    ]

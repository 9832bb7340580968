"""The one permission rule, case by case."""

import pytest
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import assign_perm

from apps.catalog.models import Dataset
from apps.core.permissions import ROLE_ACTIONS, Action, Role, roles_allowed

pytestmark = pytest.mark.django_db


def visible(user, action="view"):
    return set(Dataset.objects.restrict(user, action).values_list("slug", flat=True))


def test_members_of_the_owning_team_see_private_assets(alice, private_dataset):
    assert visible(alice) == {"card-transactions"}


def test_another_team_does_not_see_private_assets(bob, private_dataset):
    assert visible(bob) == set()


def test_anonymous_sees_nothing(private_dataset, internal_dataset):
    assert visible(AnonymousUser()) == set()


def test_internal_assets_are_viewable_by_every_signed_in_user(bob, internal_dataset):
    assert visible(bob) == {"merchant-list"}
    assert visible(bob, "change") == set()


def test_analyst_may_view_but_not_change(ann, private_dataset):
    assert visible(ann) == {"card-transactions"}
    assert visible(ann, "change") == set()


def test_a_user_grant_opens_one_object_for_one_action(bob, private_dataset):
    assign_perm("view_dataset", bob, private_dataset)
    assert visible(bob) == {"card-transactions"}
    assert visible(bob, "change") == set()


def test_a_team_grant_opens_the_object_to_every_member(bob, platform_team, private_dataset):
    assign_perm("view_dataset", platform_team.group, private_dataset)
    assert visible(bob) == {"card-transactions"}


def test_grants_use_direct_foreign_key_tables(bob, private_dataset):
    from guardian.models import UserObjectPermission

    from apps.catalog.models import DatasetUserObjectPermission

    assign_perm("view_dataset", bob, private_dataset)
    assert DatasetUserObjectPermission.objects.count() == 1
    assert UserObjectPermission.objects.count() == 0


def test_global_permissions_are_not_accepted(bob, private_dataset):
    from django.contrib.auth.models import Permission

    bob.user_permissions.add(Permission.objects.get(codename="view_dataset"))
    assert visible(bob) == set()


def test_superusers_see_everything(root, private_dataset):
    assert visible(root, "delete") == {"card-transactions"}


def test_inactive_members_see_nothing(alice, private_dataset):
    alice.is_active = False
    alice.save()
    assert visible(alice) == set()


def test_every_role_may_view_and_only_data_officers_manage():
    assert set(roles_allowed(Action.VIEW)) == set(Role.values)
    assert roles_allowed(Action.MANAGE) == [Role.DATA_OFFICER]
    assert ROLE_ACTIONS[Role.ANALYST] == {Action.VIEW}


def test_an_unknown_action_is_refused(alice):
    with pytest.raises(ValueError):
        Dataset.objects.restrict(alice, "fly")

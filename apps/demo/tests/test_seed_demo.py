"""seed_demo builds a believable organisation, and a second run changes nothing."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from apps.catalog.models import Dataset
from apps.core.permissions import Role
from apps.demo.data import DATASETS, DEMO_PASSWORD, PEOPLE, TEAMS
from apps.teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_it_creates_the_teams_people_and_datasets():
    seed()

    assert set(Team.objects.values_list("name", flat=True)) == {team.name for team in TEAMS}
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    # Other areas (lineage, sources) add datasets of their own to the demo.
    assert {spec.name for spec in DATASETS} <= set(Dataset.objects.values_list("name", flat=True))
    assert set(Dataset.objects.values_list("visibility", flat=True)) == {"private", "internal"}
    assert get_user_model().objects.get(username="admin").is_superuser


def test_running_it_twice_changes_nothing():
    seed()
    before = row_counts()

    output = seed()

    assert row_counts() == before
    assert "nothing changed" in output


def test_every_demo_account_signs_in_with_the_documented_password():
    seed()

    for username in ["admin", *(person.username for person in PEOPLE)]:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username


def test_data_officers_are_staff_and_the_others_are_not():
    seed()

    officers = set(Membership.objects.filter(role="data_officer").values_list("user__username", flat=True))
    staff = set(get_user_model().objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == officers | {"admin"}


def test_a_private_dataset_is_shared_with_one_other_team_only():
    seed()
    users = get_user_model().objects
    card_transactions = Dataset.objects.get(name="Card transactions")

    assert card_transactions.visibility == "private"
    assert Dataset.objects.restrict(users.get(username="rita")).filter(pk=card_transactions.pk).exists()
    assert not Dataset.objects.restrict(users.get(username="bob")).filter(pk=card_transactions.pk).exists()


def test_history_records_the_admin_as_the_author():
    seed()

    declared = Dataset.history.filter(name__in=[spec.name for spec in DATASETS])
    assert set(declared.values_list("history_user__username", flat=True)) == {"admin"}
    # The pipelines' datasets were registered by bob's OpenLineage producer; diana shared them.
    reported = Dataset.history.exclude(namespace="")
    assert set(reported.values_list("history_user__username", flat=True)) == {"bob", "diana"}
    assert not Dataset.history.filter(history_user__isnull=True).exists()


def test_it_leaves_a_few_finished_jobs_of_the_registered_demo_kinds():
    registry = pytest.importorskip("apps.jobs.registry")
    from apps.jobs.models import Job

    seed()

    kinds = {kind.name for kind in registry.job_kinds()}
    jobs = Job.objects.filter(kind__in=kinds)
    assert jobs.exists()
    assert set(jobs.values_list("status", flat=True)) <= {"succeeded", "failed"}
    assert all(job.finished_at and job.requester and job.team for job in jobs)

"""Writes for the demo organisation: create what is missing, never change what exists."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.catalog.models import Dataset
from apps.catalog.services import dataset_create
from apps.core.history import acting_user
from apps.demo.catalog_glossary import demo_glossary_ensure
from apps.demo.catalog_sources import demo_sources_ensure
from apps.demo.community import demo_community_ensure
from apps.demo.community_ideas import demo_ideas_ensure
from apps.demo.data import ADMIN_USERNAME, DATASETS, DEMO_JOBS, DEMO_PASSWORD, GRANTS, PEOPLE, TEAMS
from apps.demo.experiments import demo_experiments_ensure
from apps.demo.lineage import demo_lineage_ensure
from apps.demo.pipelines import demo_pipelines_ensure
from apps.demo.profiling import demo_profiles_ensure
from apps.demo.training import demo_training_ensure
from apps.teams.models import Membership, Team
from apps.teams.services import membership_set, team_create

logger = logging.getLogger(__name__)


def demo_seed(*, password: str = DEMO_PASSWORD) -> dict[str, int]:
    """Build the demo organisation's missing pieces; returns what was created (empty the second time)."""
    created = Counter(_demo_rows(password=password))
    # A real training job once the rows above are committed: it runs as a worker would (its
    # heartbeat writes from another thread), then its model is registered.
    created.update(demo_training_ensure())
    created.update(demo_pipelines_ensure())  # OpenLineage events, received and processed as jobs
    return dict(created)


@transaction.atomic
def _demo_rows(*, password: str) -> dict[str, int]:
    created: Counter[str] = Counter()
    password_hash = make_password(password)  # hashed once: every demo account shares it
    admin = _user_ensure(
        username=ADMIN_USERNAME,
        first_name="Ada",
        last_name="Admin",
        password_hash=password_hash,
        created=created,
        is_staff=True,
        is_superuser=True,
    )
    teams = {team.name: _team_ensure(spec=team, by=admin, created=created) for team in TEAMS}
    for person in PEOPLE:
        is_officer = any(role == "data_officer" for _, role in person.memberships)
        user = _user_ensure(
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            password_hash=password_hash,
            created=created,
            is_staff=is_officer,
        )
        for team_name, role in person.memberships:
            if not Membership.objects.filter(team=teams[team_name], user=user).exists():
                membership_set(team=teams[team_name], user=user, role=role, by=admin)
                created["memberships"] += 1
    datasets = {}
    for spec in DATASETS:
        team = teams[spec.team]
        dataset = Dataset.objects.filter(team=team, name=spec.name).first()
        if dataset is None:
            dataset = dataset_create(
                team=team,
                by=admin,
                name=spec.name,
                visibility=spec.visibility,
                domain=spec.domain,
                description=spec.description,
            )
            created["datasets"] += 1
        datasets[(spec.team, spec.name)] = dataset
    for owner, dataset_name, grantee in GRANTS:
        dataset, group = datasets[(owner, dataset_name)], teams[grantee].group
        if not Dataset.group_grant_model.objects.filter(
            content_object=dataset, group=group, permission__codename="view_dataset"
        ).exists():
            assign_perm("catalog.view_dataset", group, dataset)
            created["grants"] += 1
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=[p.username for p in PEOPLE])
    }
    created["jobs"] += _finished_jobs_ensure(users=users, teams=teams)
    # Sources first: glossary, lineage and profiles use the versions they record.
    created.update(demo_sources_ensure(teams=teams, by=admin))
    created.update(demo_lineage_ensure(teams=teams, by=admin))
    created.update(demo_glossary_ensure(teams=teams, by=admin))
    created.update(demo_community_ensure(teams=teams, by=admin))  # discusses the datasets, terms and columns
    created.update(demo_profiles_ensure(by=admin))  # profiles the versions the steps above recorded
    created.update(demo_experiments_ensure(teams=teams, by=admin))  # runs read the versions above
    created.update(demo_ideas_ensure(teams=teams))  # ideas and announcements about the datasets above
    if not created["jobs"]:
        del created["jobs"]
    return dict(created)


def _finished_jobs_ensure(*, users: dict, teams: dict) -> int:
    """A few finished jobs of the jobs app's demo kinds, so the jobs page shows a history.

    They are rows of work that already happened, so they are written as finished rather
    than enqueued: seeding must not depend on a worker being up.
    """
    try:
        from apps.jobs.models import Job
        from apps.jobs.registry import UnknownJobKind, get_job_kind
    except ImportError:  # the jobs app offers no registry yet
        return 0
    created = 0
    now = timezone.now()
    for spec in DEMO_JOBS:
        try:
            get_job_kind(spec.kind)
        except UnknownJobKind:
            continue
        requester, team = users[spec.requester], teams[spec.team]
        if Job.objects.filter(kind=spec.kind, requester=requester, team=team).exists():
            continue
        finished_at = now - timedelta(hours=spec.hours_ago)
        with acting_user(requester):
            Job.objects.create(
                kind=spec.kind,
                status=spec.status,
                progress=100 if spec.status == "succeeded" else 50,
                progress_message=spec.message,
                requester=requester,
                team=team,
                params=spec.params,
                result=spec.result,
                error=spec.error,
                attempts=1,
                started_at=finished_at - timedelta(seconds=spec.params.get("seconds", 1)),
                finished_at=finished_at,
            )
        created += 1
    return created


def _user_ensure(*, username: str, password_hash: str, created: Counter, **fields):
    """The user named `username`, created with `password_hash` when missing (else left alone)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(
            username=username, email=f"{username}@atrium.example", password=password_hash, **fields
        )
        user.save()
        created["users"] += 1
    return user


def _team_ensure(*, spec, by, created: Counter) -> Team:
    """The team named like `spec`, created when missing."""
    team = Team.objects.filter(name=spec.name).first()
    if team is None:
        team = team_create(name=spec.name, kind=spec.kind, description=spec.description, by=by)
        created["teams"] += 1
    return team

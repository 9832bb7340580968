"""Demo idea board and announcements: ideas in every status with votes from several teams, one declined
with its reason, one linked to a demo dataset, an organisation-wide announcement and a team one.

Idempotent: an idea or announcement is created (with its votes, links and workflow steps) only when
no idea of that team, or no announcement, has its title yet; nothing existing is changed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.catalog.models import Dataset
from apps.community.models import Announcement, Idea
from apps.community.services.announcements import announcement_create
from apps.community.services.ideas import (
    idea_create,
    idea_link_add,
    idea_transition,
    idea_vote,
    idea_votes_recount,
)

# (team, author, title, description, visibility, days ago, voters, linked datasets (team, name),
#  workflow steps [(data officer, status, reason)])
IDEAS = (
    (
        "Fraud Analytics",
        "alice",
        "Add merchant category codes to Card transactions",
        "The fraud model would gain from the **merchant category code** (MCC) of each authorisation: "
        "gambling and crypto merchants carry most of the account-takeover losses.\n\n"
        "- source: the acquirer feed already has it\n- grain: one code per authorisation",
        "internal",
        12,
        ["max", "olivia", "rita", "frank", "bob"],
        [("Fraud Analytics", "Card transactions"), ("Data Platform", "Merchant directory")],
        [
            ("olivia", "under_review", ""),
            ("olivia", "accepted", "Agreed with Data Platform: they expose MCC in the acquirer feed."),
            ("olivia", "in_progress", "Backfill of the last 18 months running."),
        ],
    ),
    (
        "ML Engineering",
        "nora",
        "A shared feature store for the fraud and credit models",
        "Fraud and credit compute the same card features (7-day spend, merchant diversity) twice, with "
        "slightly different definitions. One store, one definition, point-in-time correct joins.",
        "internal",
        5,
        ["alice", "frank", "rita", "max", "ivan", "bob", "diana"],
        [],
        [("nora", "under_review", "Comparing Feast with a warehouse-native store.")],
    ),
    (
        "Data Platform",
        "max",
        "Publish Merchant directory as a daily snapshot",
        "Training needs the directory **as it was** on each day, not only today's state. A daily, "
        "dated snapshot would make fraud features reproducible.",
        "internal",
        3,
        ["alice", "bob", "ivan"],
        [("Data Platform", "Merchant directory")],
        [],
    ),
    (
        "Data Platform",
        "bob",
        "Retire the Wine dataset",
        "Nobody in Data Platform uses *Wine* any more; it costs a nightly sync.",
        "internal",
        20,
        [],
        [("Data Platform", "Wine")],
        [
            (
                "diana",
                "declined",
                "Wine is still used by two training notebooks in ML Engineering; we keep it "
                "until they move to the new benchmark suite.",
            )
        ],
    ),
    (
        "IT Operations",
        "ivan",
        "Page IT Operations when the nightly ingestion is late",
        "When the warehouse load misses 06:00, the first to notice are analysts at 09:00. A page at "
        "06:15 would give us three hours.",
        "internal",
        30,
        ["irene", "bob", "diana"],
        [],
        [
            ("irene", "accepted", ""),
            ("irene", "in_progress", ""),
            ("irene", "done", "Alert live since Monday: ingestion lateness pages the on-call engineer."),
        ],
    ),
    (
        "Fraud Analytics",
        "olivia",
        "Label chargeback reason codes for the model",
        "Split the fraud label by chargeback reason (stolen card, account takeover, friendly fraud) so "
        "the model can learn each pattern. Internal to the team until Legal has reviewed the codes.",
        "private",
        2,
        ["alice", "ann"],
        [("Fraud Analytics", "Chargeback labels")],
        [],
    ),
    (
        "Data Platform",
        "rita",
        "Describe the Iris columns in the glossary",
        "New analysts start with *Iris*; a glossary entry per measurement would make it a better first "
        "dataset.",
        "internal",
        0,
        [],
        [("Data Platform", "Iris")],
        [],
    ),
)

# (team or None for everyone, author, title, body, severity, days until it expires, dataset (team, name))
ANNOUNCEMENTS = (
    (
        None,
        "diana",
        "Merchant directory: mcc becomes merchant_category_code on the 15th",
        "The column is renamed in the warehouse and in the catalog. Jobs reading `mcc` must switch before "
        "the 15th; the old name stays as a view for two weeks after that.",
        "warning",
        30,
        ("Data Platform", "Merchant directory"),
    ),
    (
        "Fraud Analytics",
        "olivia",
        "Card transactions: the last nightly load is incomplete",
        "About 4% of yesterday's authorisations are missing. **Do not retrain** on data after the 1st until "
        "the backfill finishes; we will post here when it does.",
        "critical",
        3,
        ("Fraud Analytics", "Card transactions"),
    ),
)


def demo_ideas_ensure(*, teams: dict) -> Counter:
    """Create the demo ideas and announcements that are missing; returns what was created."""
    created: Counter[str] = Counter()
    users = {user.username: user for user in get_user_model().objects.all()}
    now = timezone.now()
    for team_name, author, title, description, visibility, days_ago, voters, links, steps in IDEAS:
        team = teams[team_name]
        if Idea.objects.filter(team=team, title=title).exists():
            continue
        idea = idea_create(
            team=team, by=users[author], title=title, description=description, visibility=visibility
        )
        # Ideas of different ages, so "hot" and "top" rank them differently.
        Idea.objects.filter(pk=idea.pk).update(created_at=now - timedelta(days=days_ago))
        idea.refresh_from_db()
        for voter in voters:
            idea_vote(idea=idea, by=users[voter])
        for link_team, dataset_name in links:
            dataset = Dataset.objects.filter(team=teams[link_team], name=dataset_name).first()
            if dataset is not None:
                idea_link_add(idea=idea, by=users[author], target=dataset)
        for officer, status, reason in steps:
            idea_transition(idea=idea, by=users[officer], to_status=status, reason=reason)
        idea_votes_recount(idea)
        created["ideas"] += 1
    for team_name, author, title, body, severity, days, asset in ANNOUNCEMENTS:
        if Announcement.objects.filter(title=title).exists():
            continue
        dataset = Dataset.objects.filter(team=teams[asset[0]], name=asset[1]).first()
        announcement_create(
            by=users[author],
            team=teams[team_name] if team_name else None,
            title=title,
            body=body,
            severity=severity,
            expires_at=now + timedelta(days=days),
            asset=dataset,
        )
        created["announcements"] += 1
    return created

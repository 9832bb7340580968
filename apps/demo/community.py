"""Demo discussions: a question with an accepted answer, an incident, mentions, reactions and follows.

Written through the community services, so mentions and follows notify people as they would
in use (the demo inboxes are not empty). Idempotent: a thread is created only when no thread
with its title exists where it belongs; categories and follows only when missing.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from apps.catalog.models import Column, Dataset, GlossaryTerm
from apps.community.models import Category, Post, Thread
from apps.community.services import (
    category_create,
    follow_create,
    post_create,
    reaction_toggle,
    thread_accept_answer,
    thread_create,
    thread_moderate,
)

# (name, team or None for organisation-wide, visibility, description, position)
CATEGORIES = (
    ("Announcements", None, "internal", "News from the data officers: maintenance, deprecations, policy.", 0),
    (
        "Data help desk",
        None,
        "internal",
        "Ask anything about **finding and using data**: where a figure comes from, which dataset to use, "
        "who to ask. Data officers watch this category.",
        1,
    ),
    (
        "Fraud Analytics team room",
        "Fraud Analytics",
        "private",
        "The fraud team's own corner: labelling guidelines, model reviews, on-call notes.",
        2,
    ),
)

# Each thread: where (("dataset", team, name) | ("category", name) | ("term", name) | ("column", team,
# dataset, column prefix)), author, kind, title, body, replies [(author, body, reply to index or None)],
# accepted reply index, reactions [(post index, username, emoji)], moderation.
THREADS = (
    {
        "where": ("dataset", "Fraud Analytics", "Card transactions"),
        "author": "alice",
        "kind": "question",
        "title": "Why do chargebacks spike every Monday?",
        "body": (
            "The weekly fraud rate on #card-transactions jumps by about **40%** every Monday, "
            "then settles by Wednesday:\n\n"
            "| day | fraud rate |\n|---|---|\n| Sun | 0.11% |\n| Mon | 0.16% |\n| Tue | 0.13% |\n\n"
            "Is that real fraud, or an artefact of how chargebacks are booked?"
        ),
        "replies": [
            (
                "ann",
                "It's the booking: the disputes system doesn't post on weekends, so Saturday and Sunday "
                "chargebacks land on Monday. Group by `authorisation_date` instead of `booked_at`:\n\n"
                "```sql\nselect date_trunc('day', authorisation_date) as day,\n"
                "       avg(is_fraud::int) as fraud_rate\nfrom card_transactions\ngroup by 1\n```",
                None,
            ),
            ("max", "Same pattern in the model's monitoring. @olivia, should the label doc say so?", None),
            (
                "olivia",
                "Yes — I've added a note to the *Fraud label* term. Thanks @ann, great catch.",
                1,
            ),
        ],
        "accepted": 0,
        "reactions": [(1, "alice", "+1"), (1, "olivia", "+1"), (1, "max", "hooray"), (0, "olivia", "eyes")],
    },
    {
        "where": ("dataset", "Data Platform", "Merchant directory"),
        "author": "bob",
        "kind": "incident",
        "title": "Nightly refresh dropped 1,204 merchants' MCC",
        "body": (
            "Last night's refresh of #merchant-directory loaded **1,204 merchants with an empty MCC** "
            "(acquirer file v7 moved the column). Anything joining on `mcc` sees them as *unknown*.\n\n"
            "Fix in progress; I'll post here when the backfill is done. cc @fraud-analytics"
        ),
        "replies": [
            ("alice", "Thanks for the heads-up — our merchant-diversity feature uses `mcc`. ETA?", None),
            (
                "bob",
                "Backfill done at 09:40 UTC; all 1,204 rows have their MCC again. @alice you're good.",
                0,
            ),
            (
                "diana",
                "Post-mortem: the loader now fails on a schema change instead of loading blanks.",
                None,
            ),
        ],
        "accepted": None,
        "reactions": [(0, "alice", "eyes"), (2, "alice", "heart"), (2, "olivia", "+1"), (3, "bob", "rocket")],
        "moderate": ("diana", {"closed": True}),
    },
    {
        "where": ("category", "Data help desk"),
        "author": "rita",
        "kind": "question",
        "title": "Where do I find fraud losses by month?",
        "body": "For the quarterly review I need fraud write-offs by month and product. Which dataset is the "
        "source of truth?",
        "replies": [
            (
                "frank",
                "Use #monthly-fraud-losses (Risk & Finance): reconciled with the ledger every month. Ask "
                "@fraud-analytics if you need the split by fraud type.",
                None,
            ),
        ],
        "accepted": 0,
        "reactions": [(1, "rita", "heart")],
    },
    {
        "where": ("category", "Announcements"),
        "author": "diana",
        "kind": "announcement",
        "title": "Warehouse maintenance on Saturday, 06:00–08:00 UTC",
        "body": "The warehouse is read-only during the upgrade. Scheduled syncs resume automatically "
        "afterwards; nothing to do on your side.",
        "replies": [],
        "accepted": None,
        "reactions": [(0, "bob", "+1"), (0, "ivan", "+1")],
        "moderate": ("diana", {"pinned": True}),
    },
    {
        "where": ("term", "Fraud label"),
        "author": "max",
        "kind": "idea",
        "title": "Count chargebacks up to 120 days?",
        "body": "About 3% of fraud chargebacks arrive between day 90 and day 120. Extending the window "
        "would label them — at the price of waiting longer for labels. Thoughts, @olivia?",
        "replies": [("olivia", "Let's measure the effect on the last two quarters before deciding.", None)],
        "accepted": None,
        "reactions": [(0, "alice", "+1")],
    },
    {
        "where": ("column", "Data Platform", "Iris", "petal length"),
        "author": "rita",
        "kind": "question",
        "title": "Is petal length in centimetres?",
        "body": "The profile shows values from 1 to 6.9 — centimetres, I assume?",
        "replies": [("bob", "Yes, centimetres, as in scikit-learn's original data set.", None)],
        "accepted": 0,
        "reactions": [],
    },
    {
        "where": ("category", "Fraud Analytics team room"),
        "author": "olivia",
        "kind": "general",
        "title": "Labelling guideline review — Thursday",
        "body": "Please read the draft before Thursday, @alice and @max. Private to the team.",
        "replies": [("alice", "Read it; two comments inline.", None)],
        "accepted": None,
        "reactions": [(1, "olivia", "+1")],
    },
)

# (username, kind, name...) — what demo people follow besides the threads they take part in.
FOLLOWS = (
    ("rita", "category", "Data help desk"),
    ("ivan", "category", "Announcements"),
    ("alice", "dataset", "Data Platform", "Merchant directory"),
)


def _where(where: tuple, teams: dict):
    kind = where[0]
    if kind == "category":
        return None, Category.objects.filter(name=where[1]).first()
    if kind == "dataset":
        return Dataset.objects.filter(team=teams[where[1]], name=where[2]).first(), None
    if kind == "term":
        return GlossaryTerm.objects.filter(name=where[1]).first(), None
    if kind == "column":
        dataset = Dataset.objects.filter(team=teams[where[1]], name=where[2]).first()
        column = (
            Column.objects.filter(dataset=dataset, name__istartswith=where[3]).order_by("position").first()
        )
        return column, None
    raise ValueError(kind)


def _exists(title: str, asset, category) -> bool:
    threads = Thread.objects.filter(title=title)
    if category is not None:
        return threads.filter(category=category).exists()
    return threads.filter(asset_type=ContentType.objects.get_for_model(asset), asset_id=asset.pk).exists()


def demo_community_ensure(*, teams: dict, by) -> dict[str, int]:
    """Create the demo categories, discussions and follows that are missing; returns what was created."""
    created: Counter[str] = Counter()
    users = {user.username: user for user in get_user_model().objects.all()}
    for name, team_name, visibility, description, position in CATEGORIES:
        if not Category.objects.filter(name=name).exists():
            category_create(
                by=by,
                name=name,
                team=teams[team_name] if team_name else None,
                visibility=visibility,
                description=description,
                position=position,
            )
            created["categories"] += 1
    for spec in THREADS:
        asset, category = _where(spec["where"], teams)
        if (asset is None and category is None) or _exists(spec["title"], asset, category):
            continue
        thread = thread_create(
            by=users[spec["author"]],
            title=spec["title"],
            body=spec["body"],
            kind=spec["kind"],
            asset=asset,
            category=category,
            rate_limited=False,
        )
        posts = [Post.objects.get(thread=thread, is_opening=True)]
        for author, body, reply_to in spec["replies"]:
            target = posts[reply_to + 1] if reply_to is not None else None
            posts.append(
                post_create(by=users[author], thread=thread, body=body, reply_to=target, rate_limited=False)
            )
        if spec["accepted"] is not None:
            thread_accept_answer(by=users[spec["author"]], thread=thread, post=posts[spec["accepted"] + 1])
        for index, username, emoji in spec["reactions"]:
            reaction_toggle(by=users[username], post=posts[index], emoji=emoji)
        if spec.get("moderate"):
            moderator, change = spec["moderate"]
            thread_moderate(by=users[moderator], thread=thread, **change)
        created["discussions"] += 1
        created["posts"] += len(posts)
    for username, kind, *names in FOLLOWS:
        target = (
            Category.objects.filter(name=names[0]).first()
            if kind == "category"
            else Dataset.objects.filter(team=teams[names[0]], name=names[1]).first()
        )
        user = users.get(username)
        if target is None or user is None:
            continue
        from apps.community.models import Follow

        if not Follow.objects.filter(
            user=user, target_type=ContentType.objects.get_for_model(target), target_id=target.pk
        ).exists():
            follow_create(user=user, target=target)
            created["follows"] += 1
    return dict(created)

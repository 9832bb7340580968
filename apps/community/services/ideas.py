"""Writes for the idea board: propose, edit, vote, move through the status workflow, link assets.

Who may do what (docs/community-ideas.md):
- propose: anyone signed in may propose an *internal* idea to any team (the team that would do
  the work triages it); a *private* idea only a member of that team whose role may `add`;
- edit title, description and links: the author, or the owning team's roles that may `change`;
  visibility only the latter (an outside author could otherwise hide the idea from themselves);
- vote: anyone who can see the idea, once, while it is open (not done, not declined);
- move through the workflow: the owning team's roles that may `approve` (data officers),
  grants of `approve` and superusers; every step is an IdeaStatusChange row, in the idea's
  history, and a notification to the author and the voters;
- delete: the owning team's roles that may `delete`, and superusers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import NoReverseMatch
from django.utils import timezone

from apps.community.models import Idea, IdeaLink, IdeaStatus, IdeaStatusChange, IdeaVote
from apps.core.assets import asset_type
from apps.core.history import acting_user
from apps.core.models import Visibility
from apps.core.notifications import notify, register_event_type
from apps.core.permissions import Action, Role
from apps.core.querysets import member_team_ids

EVENT_PROPOSED = "community.idea_proposed"
EVENT_STATUS_CHANGED = "community.idea_status_changed"
register_event_type(EVENT_PROPOSED, label="Someone proposes an idea to a team you are data officer of")
register_event_type(EVENT_STATUS_CHANGED, label="An idea you proposed or voted for changes status")

# The workflow: from each status, the statuses an idea may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IdeaStatus.PROPOSED: (IdeaStatus.UNDER_REVIEW, IdeaStatus.ACCEPTED, IdeaStatus.DECLINED),
    IdeaStatus.UNDER_REVIEW: (IdeaStatus.ACCEPTED, IdeaStatus.DECLINED, IdeaStatus.PROPOSED),
    IdeaStatus.ACCEPTED: (IdeaStatus.IN_PROGRESS, IdeaStatus.UNDER_REVIEW, IdeaStatus.DECLINED),
    IdeaStatus.IN_PROGRESS: (IdeaStatus.DONE, IdeaStatus.ACCEPTED),
    IdeaStatus.DONE: (IdeaStatus.IN_PROGRESS,),
    IdeaStatus.DECLINED: (IdeaStatus.UNDER_REVIEW,),
}
# The permission action that lets someone move ideas through the workflow (data officers).
MANAGE_ACTION = Action.APPROVE
REASON_MAX = 2000

# "Hot" = log10(1 + votes) + (created_at - HOT_EPOCH) / HOT_DECADE_SECONDS: ten times the votes
# buys a week of age. The score only changes when the votes do, so it is stored and indexed, and
# the order it gives never drifts with the clock (an idea posted a week later starts level with
# one that has ten times its votes).
HOT_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
HOT_DECADE_SECONDS = 7 * 24 * 3600
IDEA_FIELDS = {"title", "description", "visibility"}


def idea_hot_score(*, votes: int, created_at: datetime) -> float:
    """The "hot" rank of an idea with `votes` votes created at `created_at` (higher is hotter)."""
    age = (created_at - HOT_EPOCH).total_seconds() / HOT_DECADE_SECONDS
    return round(math.log10(1 + max(votes, 0)) + age, 9)


# --- who may ------------------------------------------------------------------------------------
def _may(user, idea: Idea, action: str) -> bool:
    return Idea.objects.restrict(user, action).filter(pk=idea.pk).exists()


def idea_user_may_propose(*, user, team, visibility: str) -> bool:
    """Internal ideas: anyone signed in. Private ideas: members of `team` whose role may `add`."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if visibility != Visibility.PRIVATE or user.is_superuser:
        return True
    return member_team_ids(user, Action.ADD).filter(team_id=team.pk).exists()


def idea_user_may_edit(*, user, idea: Idea) -> bool:
    """The author (while they can still see it) or the owning team's roles that may change it."""
    if idea.author_id == user.pk and _may(user, idea, Action.VIEW):
        return True
    return _may(user, idea, Action.CHANGE)


def idea_user_may_manage(*, user, idea: Idea) -> bool:
    """Whether `user` may move the idea through the workflow (the team's data officers)."""
    return _may(user, idea, MANAGE_ACTION)


def idea_user_may_delete(*, user, idea: Idea) -> bool:
    return _may(user, idea, Action.DELETE)


def idea_next_statuses(*, idea: Idea) -> list[tuple[str, str]]:
    """The (value, label) statuses the idea may move to from where it is."""
    return [(status, IdeaStatus(status).label) for status in TRANSITIONS.get(idea.status, ())]


# --- proposing and editing ----------------------------------------------------------------------
def _check_fields(unknown: set[str]) -> None:
    if unknown:
        raise ValueError(f"Unknown idea fields {sorted(unknown)}.")


@transaction.atomic
def idea_create(
    *, team, by, title: str, description: str = "", visibility: str = Visibility.INTERNAL
) -> Idea:
    """Propose an idea to `team`; the author's vote comes with it and the team's data officers hear of it."""
    if not idea_user_may_propose(user=by, team=team, visibility=visibility):
        raise ValidationError(
            {"visibility": f"Only members of {team.name} may propose a private idea to it; make it internal."}
        )
    idea = Idea(
        team=team, author=by, title=(title or "").strip(), description=description, visibility=visibility
    )
    idea.full_clean(exclude=["vote_count", "hot_score"])
    idea.hot_score = idea_hot_score(votes=0, created_at=timezone.now())
    with acting_user(by):
        idea.save()
        IdeaVote.objects.create(idea=idea, user=by)
    idea_votes_recount(idea)
    officers = _team_officers(team_id=team.pk)
    notify(
        recipients=officers,
        event=EVENT_PROPOSED,
        actor=by,
        target=idea,
        message=f"{_name(by)} proposed an idea to {team.name}: “{idea.title}”",
        url=_url(idea),
    )
    return idea


@transaction.atomic
def idea_update(*, idea: Idea, by, **changes) -> Idea:
    """Change an idea's title, description or visibility (its team stays put)."""
    _check_fields(set(changes) - IDEA_FIELDS)
    if not idea_user_may_edit(user=by, idea=idea):
        raise PermissionDenied("Only the author or the owning team may edit this idea.")
    if (
        "visibility" in changes
        and changes["visibility"] != idea.visibility
        and not _may(by, idea, Action.CHANGE)
    ):
        raise ValidationError(
            {"visibility": f"Only members of {idea.team.name} may change who sees this idea."}
        )
    for field, value in changes.items():
        setattr(idea, field, value.strip() if field == "title" else value)
    idea.full_clean(exclude=["vote_count", "hot_score"])
    with acting_user(by):
        idea.save()
    return idea


@transaction.atomic
def idea_delete(*, idea: Idea, by) -> None:
    """Delete an idea with its votes and links; its history keeps a deletion row attributed to `by`."""
    if not idea_user_may_delete(user=by, idea=idea):
        raise PermissionDenied("Your role in the idea's team may not delete it.")
    with acting_user(by):
        for link in idea.links.all():
            link.delete()
        for vote in idea.votes.all():
            vote.delete()
        idea.delete()


# --- votes --------------------------------------------------------------------------------------
def _locked(idea: Idea) -> Idea:
    """The idea's row, locked until the end of the transaction (votes on one idea queue up)."""
    return Idea.objects.select_for_update().get(pk=idea.pk)


def idea_votes_recount(idea: Idea) -> None:
    """Recount the idea's votes into its denormalised count and hot score (after votes or a backdate).

    These two fields are left out of history (votes have their own), so a plain update
    skips nothing; it also keeps the search index (signals on save) out of every vote.
    """
    count = IdeaVote.objects.filter(idea_id=idea.pk).count()
    hot = idea_hot_score(votes=count, created_at=idea.created_at)
    Idea.objects.filter(pk=idea.pk).update(vote_count=count, hot_score=hot)
    idea.vote_count, idea.hot_score = count, hot


def _check_can_vote(*, idea: Idea, by) -> None:
    if not _may(by, idea, Action.VIEW):
        raise PermissionDenied("You cannot see this idea.")
    if not idea.is_open:
        raise ValidationError(f"Voting is closed: this idea is {idea.get_status_display().lower()}.")


@transaction.atomic
def idea_vote(*, idea: Idea, by) -> Idea:
    """Add `by`'s vote (once; voting again changes nothing)."""
    locked = _locked(idea)
    _check_can_vote(idea=locked, by=by)
    if not IdeaVote.objects.filter(idea=locked, user=by).exists():
        try:
            with transaction.atomic(), acting_user(by):
                IdeaVote.objects.create(idea=locked, user=by)
        except IntegrityError:  # a concurrent request voted first: the vote is there either way
            pass
    idea_votes_recount(idea)
    return idea


@transaction.atomic
def idea_unvote(*, idea: Idea, by) -> Idea:
    """Withdraw `by`'s vote (nothing happens when there is none)."""
    locked = _locked(idea)
    _check_can_vote(idea=locked, by=by)
    vote = IdeaVote.objects.filter(idea=locked, user=by).first()
    if vote is not None:
        with acting_user(by):
            vote.delete()
    idea_votes_recount(idea)
    return idea


def idea_vote_toggle(*, idea: Idea, by) -> bool:
    """Vote, or withdraw the vote if `by` already voted; returns whether `by` now votes for it."""
    if IdeaVote.objects.filter(idea_id=idea.pk, user_id=by.pk).exists():
        idea_unvote(idea=idea, by=by)
        return False
    idea_vote(idea=idea, by=by)
    return True


# --- the workflow -------------------------------------------------------------------------------
@transaction.atomic
def idea_transition(*, idea: Idea, by, to_status: str, reason: str = "") -> IdeaStatusChange:
    """Move the idea to `to_status` (validated against TRANSITIONS; declining needs a reason).

    Recorded as an IdeaStatusChange row and in the idea's history; the author and the voters
    who can see the idea are notified in the same transaction.
    """
    if not idea_user_may_manage(user=by, idea=idea):
        raise PermissionDenied(f"Only data officers of {idea.team.name} may change this idea's status.")
    idea = _locked(idea)
    reason = (reason or "").strip()
    errors = {}
    if to_status not in IdeaStatus.values:
        errors["status"] = f"“{to_status}” is not a status. Choose one of: {', '.join(IdeaStatus.values)}."
    elif to_status == idea.status:
        errors["status"] = f"The idea is already {idea.get_status_display().lower()}."
    elif to_status not in TRANSITIONS[idea.status]:
        allowed = ", ".join(IdeaStatus(s).label.lower() for s in TRANSITIONS[idea.status])
        errors["status"] = (
            f"An idea that is {idea.get_status_display().lower()} can move to {allowed}, "
            f"not to {IdeaStatus(to_status).label.lower()}."
        )
    if to_status == IdeaStatus.DECLINED and not reason:
        errors["reason"] = "Say why the idea is declined: the author and the voters will read it."
    if len(reason) > REASON_MAX:
        errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
    if errors:
        raise ValidationError(errors)
    from_status = idea.status
    idea.status, idea.status_reason, idea.status_changed_at = to_status, reason, timezone.now()
    idea._change_reason = f"Status: {IdeaStatus(from_status).label} → {IdeaStatus(to_status).label}"
    with acting_user(by):
        idea.save()
        change = IdeaStatusChange.objects.create(
            idea=idea, from_status=from_status, to_status=to_status, reason=reason, changed_by=by
        )
    voters = [vote.user for vote in IdeaVote.objects.filter(idea=idea).select_related("user")]
    label = IdeaStatus(to_status).label.lower()
    message = f"{_name(by)} moved “{idea.title}” to {label}"
    if reason:
        message += f": {reason}"
    notify(
        recipients=[idea.author, *voters],
        event=EVENT_STATUS_CHANGED,
        actor=by,
        target=idea,
        message=message,
        url=_url(idea),
    )
    return change


# --- links to assets ----------------------------------------------------------------------------
@transaction.atomic
def idea_link_add(*, idea: Idea, by, target: models.Model) -> IdeaLink:
    """Link the idea to an asset it would change; `by` must be able to edit the idea and see the asset."""
    if not idea_user_may_edit(user=by, idea=idea):
        raise PermissionDenied("Only the author or the owning team may link this idea to assets.")
    if asset_type(target) is None or not hasattr(type(target)._default_manager.all(), "restrict"):
        raise ValidationError({"asset": "Only catalog assets (datasets, models …) can be linked."})
    if isinstance(target, Idea) and target.pk == idea.pk:
        raise ValidationError({"asset": "An idea cannot be linked to itself."})
    if not type(target)._default_manager.all().restrict(by, Action.VIEW).filter(pk=target.pk).exists():
        raise ValidationError({"asset": "No such asset."})  # the same answer as for a missing one
    content_type = ContentType.objects.get_for_model(target)
    if IdeaLink.objects.filter(idea=idea, target_type=content_type, target_id=target.pk).exists():
        raise ValidationError({"asset": f"The idea is already linked to {target}."})
    with acting_user(by):
        return IdeaLink.objects.create(
            idea=idea, target_type=content_type, target_id=target.pk, created_by=by
        )


@transaction.atomic
def idea_link_remove(*, link: IdeaLink, by) -> None:
    """Remove a link (the idea's editors may)."""
    if not idea_user_may_edit(user=by, idea=link.idea):
        raise PermissionDenied("Only the author or the owning team may change this idea's links.")
    with acting_user(by):
        link.delete()


# --- helpers ------------------------------------------------------------------------------------
def _url(idea: Idea) -> str:
    try:
        return idea.get_absolute_url()
    except NoReverseMatch:  # a URLconf without the community pages (some tests): no link, same event
        return ""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "Someone"


def _team_officers(*, team_id: int) -> list:
    from django.apps import apps

    membership = apps.get_model("teams", "Membership")
    return [
        m.user
        for m in membership.objects.filter(team_id=team_id, role=Role.DATA_OFFICER).select_related("user")
    ]

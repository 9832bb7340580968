"""Writes for discussions: categories, threads, posts, edits, accepted answers, moderation, reactions.

Rules decided here (see docs/community.md):
- whoever may see an asset (or a category) may start a thread on it and post in it — discussing
  is not changing the asset, so read-only analysts take part too; announcements are for moderators;
- the thread's author, or whoever may change the asset (or is in the category's team with the
  change right), edits the title and accepts an answer;
- moderators (whoever may manage the asset: the team's data officers; for organisation-wide
  categories any data officer) pin, lock and close; a locked thread takes posts from moderators only;
- a post's author (or a moderator) edits it; every version stays in the post's history.

Every new post notifies, in the same transaction: the people and teams it mentions, the author
of the post it replies to, and the followers of the thread and of its asset or category — each
person once, the most specific reason first, and only if they may see the thread.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from apps.community import markup
from apps.community.models import Category, Emoji, Post, Reaction, Thread, ThreadKind
from apps.community.services.follows import follow_ensure, followers_of
from apps.community.services.mentions import mentioned_people
from apps.community.services.ratelimit import post_rate_limit_take
from apps.core.assets import asset_type, is_asset
from apps.core.history import acting_user
from apps.core.notifications import notify, register_event_type
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids

TITLE_MAX = Thread._meta.get_field("title").max_length
BODY_MAX = 20_000

EVENT_THREAD = "community.thread_created"
EVENT_POST = "community.post_created"
EVENT_MENTION = "community.mentioned"
EVENT_REPLY = "community.replied"
EVENT_ACCEPTED = "community.answer_accepted"


def register_events() -> None:
    """The discussion events people can be notified of (and choose inbox, email or digest for)."""
    register_event_type(EVENT_THREAD, label="A new discussion on something you follow")
    register_event_type(EVENT_POST, label="A new post in a discussion you follow", email_by_default=False)
    register_event_type(EVENT_MENTION, label="Someone mentions you or your team")
    register_event_type(EVENT_REPLY, label="Someone replies to your post")
    register_event_type(EVENT_ACCEPTED, label="Your answer is accepted")


# --- permissions --------------------------------------------------------------------------------
def thread_user_may(*, user, thread: Thread, action: str) -> bool:
    """Whether `user` may take `action` on `thread` (one query)."""
    return Thread.objects.restrict(user, action).filter(pk=thread.pk).exists()


def _asset_visible(user, asset: models.Model, action: str = Action.VIEW) -> bool:
    objects = type(asset)._default_manager.all()
    return hasattr(objects, "restrict") and objects.restrict(user, action).filter(pk=asset.pk).exists()


def _may_announce(user, *, asset: models.Model | None, category: Category | None) -> bool:
    """Announcements are for moderators of where they are posted."""
    if user.is_superuser:
        return True
    if asset is not None:
        return _asset_visible(user, asset, Action.MANAGE)
    if category.team_id is None:
        return member_team_ids(user, Action.MANAGE).exists()
    return member_team_ids(user, Action.MANAGE).filter(team_id=category.team_id).exists()


def category_user_may_post(*, user, category: Category) -> bool:
    return Category.objects.restrict(user, Action.ADD).filter(pk=category.pk).exists()


# --- validation ---------------------------------------------------------------------------------
def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Give the discussion a title."})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title under {TITLE_MAX} characters."})
    return title


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"A post holds at most {BODY_MAX:,} characters."})
    if "\x00" in body:
        raise ValidationError({"body": "The text contains a NUL character."})
    return body


def _clean_kind(kind: str) -> str:
    if kind not in ThreadKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(ThreadKind.values)}."})
    return kind


# --- categories ---------------------------------------------------------------------------------
def _category_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:120] or "category"
    slug, n = base, 2
    others = Category.objects.exclude(pk=exclude_pk) if exclude_pk else Category.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def category_creatable_teams(*, user) -> models.QuerySet:
    """Teams in which `user` may open a category (their data officer teams; every team for superusers)."""
    from apps.teams.models import Team

    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(pk__in=member_team_ids(user, Action.MANAGE))


def category_create(
    *,
    by,
    name: str,
    team=None,
    visibility: str = "internal",
    description: str = "",
    position: int = 0,
) -> Category:
    """A new category: a team's (by its data officers) or organisation-wide (by superusers)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Name the category."})
    if team is None and not by.is_superuser:
        raise ValidationError({"team": "Only administrators open organisation-wide categories."})
    if team is not None and not category_creatable_teams(user=by).filter(pk=team.pk).exists():
        raise ValidationError({"team": "You are not a data officer of this team."})
    if team is None:
        visibility = "internal"
    if visibility not in ("private", "internal"):
        raise ValidationError({"visibility": "Choose private or internal."})
    with transaction.atomic(), acting_user(by):
        return Category.objects.create(
            team=team,
            name=name[:120],
            slug=_category_slug(name),
            visibility=visibility,
            description=description or "",
            position=max(0, int(position or 0)),
        )


def category_update(*, by, category: Category, **changes) -> Category:
    """Rename, describe, reorder or change the visibility of a category (its team's data officers)."""
    if not Category.objects.restrict(by, Action.CHANGE).filter(pk=category.pk).exists():
        raise PermissionDenied("Only the team's data officers may change this category.")
    if "name" in changes:
        name = " ".join((changes["name"] or "").split())
        if not name:
            raise ValidationError({"name": "Name the category."})
        category.name = name[:120]
    if "description" in changes:
        category.description = changes["description"] or ""
    if "position" in changes:
        category.position = max(0, int(changes["position"] or 0))
    if "visibility" in changes:
        if changes["visibility"] not in ("private", "internal"):
            raise ValidationError({"visibility": "Choose private or internal."})
        if category.team_id is None and changes["visibility"] != "internal":
            raise ValidationError({"visibility": "Organisation-wide categories are visible to everyone."})
        category.visibility = changes["visibility"]
    with transaction.atomic(), acting_user(by):
        category.save()
    return category


# --- threads and posts --------------------------------------------------------------------------
def thread_create(
    *,
    by,
    title: str,
    body: str,
    kind: str = ThreadKind.GENERAL,
    asset: models.Model | None = None,
    category: Category | None = None,
    rate_limited: bool = True,
) -> Thread:
    """Open a discussion on an asset `by` may see, or in a category they may see; they follow it."""
    errors = {}
    checks = (("title", _clean_title, title), ("body", _clean_body, body), ("kind", _clean_kind, kind))
    for _field, clean, value in checks:
        try:
            clean(value)
        except ValidationError as error:
            errors.update(error.message_dict)
    if (asset is None) == (category is None):
        errors["__all__"] = ["A discussion is either on an asset or in a category."]
    elif asset is not None and (not is_asset(asset) or not _asset_visible(by, asset)):
        errors["asset"] = ["No such asset."]
    elif category is not None and not category_user_may_post(user=by, category=category):
        errors["category"] = ["No such category."]
    if errors:
        raise ValidationError(errors)
    if kind == ThreadKind.ANNOUNCEMENT and not _may_announce(by, asset=asset, category=category):
        raise ValidationError({"kind": "Only moderators (data officers) post announcements here."})
    if rate_limited:
        post_rate_limit_take(user=by)
    with transaction.atomic(), acting_user(by):
        thread = Thread.objects.create(
            title=_clean_title(title),
            kind=kind,
            author=by,
            category=category,
            asset_type_id=_content_type_id(asset) if asset is not None else None,
            asset_id=asset.pk if asset is not None else None,
        )
        post = Post.objects.create(thread=thread, author=by, body=_clean_body(body), is_opening=True)
        Thread.objects.filter(pk=thread.pk).update(post_count=1, last_activity_at=post.created_at)
        thread.post_count, thread.last_activity_at = 1, post.created_at
        follow_ensure(user=by, target=thread)
        post.thread = thread
        _notify_post(post, previous_body=None, new_thread=True)
    return thread


def _content_type_id(obj: models.Model) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


def post_create(
    *, by, thread: Thread, body: str, reply_to: Post | None = None, rate_limited: bool = True
) -> Post:
    """Post in a thread `by` may see (a locked one: moderators only); they follow it from now on."""
    body = _clean_body(body)
    if not thread_user_may(user=by, thread=thread, action=Action.ADD):
        raise ValidationError({"thread": "No such discussion."})
    if thread.is_locked and not thread_user_may(user=by, thread=thread, action=Action.MANAGE):
        raise PermissionDenied("This discussion is locked: only moderators may post.")
    if reply_to is not None and reply_to.thread_id != thread.pk:
        raise ValidationError({"reply_to": "Reply to a post of the same discussion."})
    if rate_limited:
        post_rate_limit_take(user=by)
    with transaction.atomic(), acting_user(by):
        post = Post.objects.create(thread=thread, author=by, body=body, reply_to=reply_to)
        Thread.objects.filter(pk=thread.pk).update(
            post_count=F("post_count") + 1, last_activity_at=post.created_at, updated_at=timezone.now()
        )
        follow_ensure(user=by, target=thread)
        post.thread = thread
        _notify_post(post, previous_body=None, new_thread=False)
    return post


def post_edit(*, by, post: Post, body: str) -> Post:
    """Change a post's text (its author, or a moderator); the previous text stays in its history.

    People mentioned for the first time by the edit are notified; nobody is told twice.
    """
    body = _clean_body(body)
    if not Post.objects.restrict(by, Action.CHANGE).filter(pk=post.pk).exists():
        raise PermissionDenied("Only the author or a moderator may edit this post.")
    if post.removed_at is not None:
        raise ValidationError({"body": "This post was removed; it cannot be edited."})
    thread = post.thread
    if thread.is_locked and not thread_user_may(user=by, thread=thread, action=Action.MANAGE):
        raise PermissionDenied("This discussion is locked: only moderators may edit its posts.")
    if body == post.body:
        return post
    previous = post.body
    with transaction.atomic(), acting_user(by):
        post.body = body
        post.edited_at = timezone.now()
        post.save()
        _notify_post(post, previous_body=previous, new_thread=False, actor=by)
    return post


def post_remove(*, by, post: Post) -> Post:
    """Remove a post (its author, the thread's moderators — the owning team's data officers — or a
    superuser). It stays in the thread as "removed", its text kept only in history; it leaves search,
    the counts and the activity feed. Removing the opening post closes and locks the thread: the
    replies stay readable, and nobody answers a question that is no longer there.
    """
    if not Post.objects.restrict(by, Action.VIEW).filter(pk=post.pk).exists():
        raise ValidationError({"post": "No such post."})
    if not Post.objects.restrict(by, Action.DELETE).filter(pk=post.pk).exists():
        raise PermissionDenied("Only the author or a moderator may remove this post.")
    if post.removed_at is not None:
        return post
    now = timezone.now()
    with transaction.atomic(), acting_user(by):
        post.body = ""
        post.removed_at, post.removed_by = now, by
        post.save()
        thread = Thread.objects.select_for_update().get(pk=post.thread_id)
        thread.post_count = max(0, thread.post_count - 1)
        fields = ["post_count", "updated_at"]
        if thread.accepted_post_id == post.pk:
            thread.accepted_post = None
            fields.append("accepted_post")
        if post.is_opening:
            thread.closed_at = thread.closed_at or now
            thread.is_locked = True
            fields += ["closed_at", "is_locked"]
        thread.save(update_fields=fields)
        post.thread = thread
    return post


def thread_update(*, by, thread: Thread, title: str | None = None, kind: str | None = None) -> Thread:
    """Retitle or re-kind a thread (its author, or whoever may change its asset or category)."""
    if not thread_user_may(user=by, thread=thread, action=Action.CHANGE):
        raise PermissionDenied("Only the author or the asset's editors may change this discussion.")
    if title is not None:
        thread.title = _clean_title(title)
    if kind is not None and kind != thread.kind:
        kind = _clean_kind(kind)
        category = thread.category if thread.category_id else None
        if kind == ThreadKind.ANNOUNCEMENT and not _may_announce(by, asset=thread.asset, category=category):
            raise ValidationError({"kind": "Only moderators (data officers) post announcements here."})
        thread.kind = kind
        if kind != ThreadKind.QUESTION:
            thread.accepted_post = None
    with transaction.atomic(), acting_user(by):
        # Only what this service changes: the post counter and activity time are kept by other writes.
        thread.save(update_fields=["title", "kind", "accepted_post", "updated_at"])
    return thread


def thread_accept_answer(*, by, thread: Thread, post: Post | None) -> Thread:
    """Mark `post` as the answer to a question (None: take the mark back); its author hears of it."""
    if not thread_user_may(user=by, thread=thread, action=Action.CHANGE):
        raise PermissionDenied("Only the question's author or the asset's editors may accept an answer.")
    if thread.kind != ThreadKind.QUESTION:
        raise ValidationError({"post": "Only questions have an accepted answer."})
    if post is not None and (post.thread_id != thread.pk or post.is_opening):
        raise ValidationError({"post": "Accept a reply of this discussion."})
    if (post.pk if post else None) == thread.accepted_post_id:
        return thread
    with transaction.atomic(), acting_user(by):
        thread.accepted_post = post
        thread.save(update_fields=["accepted_post", "updated_at"])
        if post is not None and post.author is not None:
            notify(
                recipients=[post.author],
                event=EVENT_ACCEPTED,
                actor=by,
                target=post,
                message=f"{_name(by)} accepted your answer to “{thread.title}”",
                url=_post_url(post),
            )
    return thread


def thread_moderate(
    *,
    by,
    thread: Thread,
    pinned: bool | None = None,
    locked: bool | None = None,
    closed: bool | None = None,
) -> Thread:
    """Pin, lock or close a thread (moderators: whoever may manage its asset or category)."""
    if not thread_user_may(user=by, thread=thread, action=Action.MANAGE):
        raise PermissionDenied("Only moderators (data officers) may pin, lock or close discussions.")
    if pinned is not None:
        thread.is_pinned = pinned
    if locked is not None:
        thread.is_locked = locked
    if closed is not None:
        thread.closed_at = (thread.closed_at or timezone.now()) if closed else None
    with transaction.atomic(), acting_user(by):
        thread.save(update_fields=["is_pinned", "is_locked", "closed_at", "updated_at"])
    return thread


def reaction_toggle(*, by, post: Post, emoji: str) -> bool:
    """Add `by`'s `emoji` to a post they may see, or take it back; returns whether it is now there."""
    if emoji not in Emoji.values:
        raise ValidationError({"emoji": f"Choose one of: {', '.join(Emoji.values)}."})
    if not Post.objects.restrict(by, Action.VIEW).filter(pk=post.pk).exists():
        raise ValidationError({"post": "No such post."})
    if post.removed_at is not None:
        raise ValidationError({"post": "This post was removed."})
    existing = Reaction.objects.filter(post=post, user=by, emoji=emoji).first()
    with transaction.atomic(), acting_user(by):
        if existing is not None:
            existing.delete()
            return False
        try:
            with transaction.atomic():
                Reaction.objects.create(post=post, user=by, emoji=emoji)
        except IntegrityError:  # the same click twice at once
            pass
    return True


def threads_delete_on(*, asset: models.Model) -> int:
    """Delete the discussions on a deleted asset, and their follows (their history stays)."""
    from django.contrib.contenttypes.models import ContentType

    from apps.community.models import Follow

    threads = Thread.objects.filter(asset_type=ContentType.objects.get_for_model(asset), asset_id=asset.pk)
    ids = list(threads.values_list("pk", flat=True))
    if not ids:
        return 0
    Follow.objects.filter(target_type=ContentType.objects.get_for_model(Thread), target_id__in=ids).delete()
    Thread.objects.filter(pk__in=ids).delete()
    return len(ids)


# --- notifications ------------------------------------------------------------------------------
def _name(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.get_username()


def _post_url(post: Post) -> str:
    return f"/community/t/{post.thread_id}/#post-{post.pk}"


def _where(thread: Thread) -> str:
    """ " on Card transactions" / " in Announcements" for messages."""
    if thread.category_id:
        return f" in {thread.category.name}"
    asset = thread.asset
    if asset is None:
        return ""
    registered = asset_type(asset)
    label = registered.label.lower() if registered else "asset"
    return f" on the {label} {asset}"


def _notify_post(post: Post, *, previous_body: str | None, new_thread: bool, actor=None) -> None:
    """Tell the people who should hear of a new (or newly edited) post, each once, most specific first."""
    thread = post.thread
    actor = actor or post.author
    who, title, url = _name(actor), thread.title, _post_url(post)
    told: set[int] = {actor.pk} if actor is not None else set()

    def tell(recipients, event: str, message: str) -> None:
        fresh = [user for user in recipients if user is not None and user.pk not in told]
        if fresh:
            created = notify(
                recipients=fresh, event=event, actor=actor, target=post, message=message, url=url
            )
            told.update(notification.recipient_id for notification in created or [])

    found = markup.found_in(post.body)
    names = found.names
    if previous_body is not None:
        names = names - markup.found_in(previous_body).names
    users, teams = mentioned_people(names)
    tell(users, EVENT_MENTION, f"{who} mentioned you in “{title}”")
    for team, members in teams.items():
        tell(members, EVENT_MENTION, f"{who} mentioned {team.name} in “{title}”")
    if previous_body is not None:
        return  # an edit tells only the newly mentioned
    if post.reply_to_id and post.reply_to and post.reply_to.author_id:
        tell([post.reply_to.author], EVENT_REPLY, f"{who} replied to your post in “{title}”")
    where = thread.category if thread.category_id else thread.asset
    if new_thread:
        followers = followers_of(target=where, include_team=True) if where is not None else []
        if thread.category_id and thread.category.team_id:
            from apps.teams.models import Team

            followers = list(followers) + list(followers_of(target=Team(pk=thread.category.team_id)))
        tell(followers, EVENT_THREAD, f"{who} started “{title}”{_where(thread)}")
        return
    followers = list(followers_of(target=thread, include_team=False))
    if where is not None:
        followers += list(followers_of(target=where, include_team=False))
    tell(followers, EVENT_POST, f"{who} posted in “{title}”{_where(thread)}")

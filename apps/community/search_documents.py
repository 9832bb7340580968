"""How discussions are indexed by search (registered in CommunityConfig.ready()).

A thread and its posts are governed by what they are about: a thread on an asset takes the
asset's team, visibility and governing object (the one whose grants open it — the asset,
or e.g. a column's dataset), as the asset's own search entry says; a thread in a category
takes the category's. The search app filters on those columns with the restrict rule, so a
discussion shows in search exactly for those who may see its asset or category.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Prefetch

from apps.core.assets import SearchEntry, asset_team_path, register_search, search_type


def _follow(obj, path: str):
    for part in [p for p in path.split("__") if p]:
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def governing(thread) -> tuple[int | None, str, models.Model]:
    """(team id, visibility, governing object) of a thread, from its category or its asset."""
    if thread.category_id:
        category = thread.category
        return category.team_id, category.visibility if category.team_id else "internal", category
    asset = thread.asset
    if asset is None:  # its asset is gone: only superusers may find it
        return None, "private", thread
    registered = search_type(asset)
    entry = registered.document(asset) if registered is not None else None
    if entry is not None:
        return entry.team_id, entry.visibility, entry.access if entry.access is not None else asset
    path = asset_team_path(type(asset))
    if path is None:
        return None, "private", asset
    owner = _follow(asset, path.removesuffix("team"))  # the object holding `team` and `visibility`
    if owner is None:
        return None, "private", asset
    return owner.team_id, getattr(owner, "visibility", "private"), owner


def _status(thread) -> str:
    if thread.closed_at:
        return "closed"
    if thread.kind == "question":
        return "answered" if thread.accepted_post_id else "unanswered"
    return "open"


def _about(thread) -> str:
    if thread.category_id:
        return thread.category.name
    return str(thread.asset) if thread.asset is not None else ""


def thread_document(thread) -> SearchEntry:
    """A thread: its title; the opening post and what it is about as body."""
    opening = getattr(thread, "opening_posts", None)
    if opening is None:
        opening = list(thread.posts.filter(is_opening=True)[:1])
    team_id, visibility, access = governing(thread)
    opening_text = opening[0].body if opening and opening[0].removed_at is None else ""
    body = " ".join(part for part in (opening_text, _about(thread)) if part)
    return SearchEntry(
        title=thread.title,
        body=body,
        team_id=team_id,
        visibility=visibility,
        url=thread.get_absolute_url(),
        access=access,
        status=_status(thread),
    )


def post_document(post) -> SearchEntry | None:
    """A reply (the opening post is part of its thread's entry), titled after its thread."""
    if post.is_opening or post.removed_at is not None:  # a removed post leaves search
        return None
    thread = post.thread
    team_id, visibility, access = governing(thread)
    return SearchEntry(
        title=f"Re: {thread.title}",
        body=post.body,
        team_id=team_id,
        visibility=visibility,
        url=f"{thread.get_absolute_url()}#post-{post.pk}",
        access=access,
    )


def category_document(category) -> SearchEntry:
    """A forum category: its name and description."""
    return SearchEntry(
        title=category.name,
        body=category.description,
        team_id=category.team_id,
        visibility=category.visibility if category.team_id else "internal",
        url=category.get_absolute_url(),
    )


def register() -> None:
    from apps.community.models import Category, Post, Thread

    def threads():
        return Thread.objects.select_related("category").prefetch_related(
            "asset", Prefetch("posts", queryset=Post.objects.filter(is_opening=True), to_attr="opening_posts")
        )

    def posts():
        return Post.objects.select_related("thread", "thread__category").prefetch_related("thread__asset")

    register_search(
        Category,
        document=category_document,
        label="Forum category",
        icon="folders",
        dependents=lambda category: [
            *threads().filter(category=category),
            *posts().filter(thread__category=category),
        ],
    )
    register_search(
        Thread,
        document=thread_document,
        queryset=threads,
        label="Discussion",
        icon="messages",
        dependents=lambda thread: list(posts().filter(thread=thread, is_opening=False)),
    )
    register_search(
        Post,
        document=post_document,
        queryset=posts,
        label="Post",
        icon="message",
        # The opening post's text is part of its thread's entry.
        dependents=lambda post: list(threads().filter(pk=post.thread_id)) if post.is_opening else [],
    )

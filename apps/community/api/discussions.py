"""Discussions over REST: categories, threads, posts and reactions, through `restrict` and the services.

- GET/POST /api/v1/threads/ (filter by asset "catalog.dataset:12", category slug, kind, team, unanswered),
  GET/PATCH /api/v1/threads/{id}/, POST …/accept/ {"post": id|null}, POST …/moderate/;
- GET/POST /api/v1/posts/ (?thread=id), GET/PATCH /api/v1/posts/{id}/, POST …/react/ {"emoji": "+1"};
- GET /api/v1/categories/.
Posting is rate-limited per person: a refusal is a 429 with `wait` (seconds) and Retry-After.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.community import selectors, services
from apps.community.models import Category, Emoji, Post, Thread, ThreadKind
from apps.community.services.discussions import BODY_MAX, TITLE_MAX
from apps.community.services.ratelimit import RateLimited
from apps.core.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from apps.core.assets import asset_key, asset_parse_key
from apps.core.permissions import Action


def _throttled(refused: RateLimited) -> exceptions.Throttled:
    return exceptions.Throttled(wait=refused.retry_after, detail=str(refused))


# --- serializers ----------------------------------------------------------------------------------
class CategorySerializer(serializers.ModelSerializer):
    """A forum category: organisation-wide (no team) or a team's."""

    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "team", "visibility", "description", "position", "web_url"]
        read_only_fields = fields


class VisibleCategoryField(serializers.SlugRelatedField):
    """A category by slug, among those the request's user may post in (others are "not found")."""

    def get_queryset(self):
        return Category.objects.restrict(self.context["request"].user, Action.ADD)


class ThreadSerializer(serializers.ModelSerializer):
    """A discussion on an asset ("catalog.dataset:12") or in a category; `body` opens it (write only)."""

    url = serializers.HyperlinkedIdentityField(view_name="thread-detail")
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    asset = serializers.CharField(
        required=False, allow_null=True, help_text='The asset discussed, e.g. "catalog.dataset:12".'
    )
    asset_name = serializers.SerializerMethodField()
    category = VisibleCategoryField(slug_field="slug", required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ThreadKind.choices, default=ThreadKind.GENERAL)
    title = serializers.CharField(max_length=TITLE_MAX)
    body = serializers.CharField(
        write_only=True, max_length=BODY_MAX, help_text="The opening post, in Markdown."
    )
    reply_count = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "id", "url", "web_url", "title", "kind", "asset", "asset_name", "category", "author", "body",
            "is_pinned", "is_locked", "closed_at", "accepted_post", "reply_count", "last_activity_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["is_pinned", "is_locked", "closed_at", "accepted_post", "last_activity_at"]

    def to_representation(self, thread: Thread) -> dict:
        data = super().to_representation(thread)
        data["asset"] = asset_key(thread.asset) if thread.asset_type_id and thread.asset else None
        return data

    @extend_schema_field(OpenApiTypes.STR)
    def get_asset_name(self, thread: Thread) -> str:
        return str(thread.asset) if thread.asset_type_id and thread.asset else ""

    def get_reply_count(self, thread: Thread) -> int:
        return max(0, thread.post_count - 1)

    def validate_asset(self, key):
        if key in (None, ""):
            return None
        try:
            model, pk = asset_parse_key(key)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        asset = model._default_manager.all().restrict(self.context["request"].user, Action.VIEW).filter(pk=pk)
        found = asset.first()
        if found is None:
            raise serializers.ValidationError("No such asset.")  # the same for a hidden one
        return found

    def validate(self, data):
        if self.instance is None and bool(data.get("asset")) == bool(data.get("category")):
            raise serializers.ValidationError("Give either an asset or a category.")
        return data


class ThreadUpdateSerializer(ThreadSerializer):
    """Retitle or re-kind a thread; where it is and its text stay (edit the opening post for that)."""

    class Meta(ThreadSerializer.Meta):
        read_only_fields = [
            "asset", "category", "is_pinned", "is_locked", "closed_at", "accepted_post", "last_activity_at",
        ]  # fmt: skip
        extra_kwargs = {"body": {"required": False}}

    asset = serializers.CharField(read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    body = serializers.CharField(write_only=True, required=False, help_text="Not changed here.")
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    kind = serializers.ChoiceField(choices=ThreadKind.choices, required=False)


class VisibleThreadField(serializers.PrimaryKeyRelatedField):
    """A thread by id, among those the request's user may see (a hidden one is "does not exist")."""

    def get_queryset(self):
        return Thread.objects.restrict(self.context["request"].user, Action.VIEW)


class VisiblePostField(serializers.PrimaryKeyRelatedField):
    """A post by id, among those the request's user may see."""

    def get_queryset(self):
        return Post.objects.restrict(self.context["request"].user, Action.VIEW)


class ReactionCountSerializer(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    mine = serializers.BooleanField()


class PostSerializer(serializers.ModelSerializer):
    """A post; `body_html` is its Markdown rendered for the caller (links only to what they may see)."""

    url = serializers.HyperlinkedIdentityField(view_name="post-detail")
    thread = VisibleThreadField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    body = serializers.CharField(max_length=BODY_MAX)
    body_html = serializers.SerializerMethodField()
    reply_to = VisiblePostField(required=False, allow_null=True)
    reactions = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id", "url", "thread", "author", "body", "body_html", "reply_to", "is_opening",
            "reactions", "edited_at", "removed_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["is_opening", "edited_at", "removed_at", "created_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, post: Post) -> str:
        if not hasattr(post, "html"):
            selectors.render_posts(user=self.context["request"].user, posts=[post])
        return post.html

    @extend_schema_field(ReactionCountSerializer(many=True))
    def get_reactions(self, post: Post) -> list[dict]:
        counts = getattr(post, "reaction_counts", None)
        if counts is None:
            counts = selectors.reactions_for(user=self.context["request"].user, posts=[post]).get(post.pk, [])
        return [{"emoji": r.emoji, "count": r.count, "mine": r.mine} for r in counts]

    def validate(self, data):
        reply_to, thread = data.get("reply_to"), data.get("thread")
        if reply_to is not None and thread is not None and reply_to.thread_id != thread.pk:
            raise serializers.ValidationError({"reply_to": "Reply to a post of the same discussion."})
        return data


class PostUpdateSerializer(PostSerializer):
    thread = serializers.PrimaryKeyRelatedField(read_only=True)
    reply_to = serializers.PrimaryKeyRelatedField(read_only=True)


# --- filters ------------------------------------------------------------------------------------
class ThreadFilterSet(filters.FilterSet):
    asset = filters.CharFilter(method="filter_asset", help_text='e.g. "catalog.dataset:12"')
    category = filters.CharFilter(field_name="category__slug")
    kind = filters.ChoiceFilter(choices=ThreadKind.choices)
    team = filters.CharFilter(method="filter_team", help_text="A team slug: its categories and assets.")
    unanswered = filters.BooleanFilter(method="filter_unanswered")
    closed = filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Thread
        fields = ["asset", "category", "kind", "team", "unanswered", "closed"]

    def filter_asset(self, queryset, name, value):
        try:
            model, pk = asset_parse_key(value)
        except ValueError:
            return queryset.none()
        return queryset.filter(asset_type=ContentType.objects.get_for_model(model), asset_id=pk)

    def filter_team(self, queryset, name, value):
        return queryset.filter(selectors.discussions._team_condition(value[:60]))

    def filter_unanswered(self, queryset, name, value):
        if value:
            return queryset.filter(kind=ThreadKind.QUESTION, accepted_post__isnull=True)
        return queryset


class PostFilterSet(filters.FilterSet):
    # Plain values, not choices among every row: an unknown and a hidden thread answer alike (empty).
    thread = filters.NumberFilter(field_name="thread_id")
    author = filters.CharFilter(field_name="author__username")

    class Meta:
        model = Post
        fields = ["thread", "author"]


# --- viewsets -----------------------------------------------------------------------------------
class CategoryViewSet(RestrictedReadOnlyViewSet):
    """Forum categories the caller may see."""

    queryset = Category.objects.select_related("team")
    serializer_class = CategorySerializer
    lookup_field = "slug"
    ordering = ["position", "name"]
    search_fields = ["name", "description"]
    filterset_fields = ["visibility"]


class ThreadViewSet(RestrictedModelViewSet):
    """Discussions the caller may see, most recently active first; start, retitle, accept, moderate."""

    queryset = Thread.objects.select_related("author", "category", "asset_type").prefetch_related("asset")
    serializer_class = ThreadSerializer
    filterset_class = ThreadFilterSet
    ordering = ["-is_pinned", "-last_activity_at", "-id"]
    ordering_fields = ["last_activity_at", "created_at", "title"]
    search_fields = ["title"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"accept": Action.CHANGE, "moderate": Action.MANAGE}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ThreadUpdateSerializer
        return super().get_serializer_class()

    def create_object(self, *, data):
        try:
            return services.thread_create(
                by=self.request.user,
                title=data["title"],
                body=data["body"],
                kind=data.get("kind", ThreadKind.GENERAL),
                asset=data.get("asset"),
                category=data.get("category"),
            )
        except RateLimited as refused:
            raise _throttled(refused) from None

    def update_object(self, *, instance, data):
        return services.thread_update(
            by=self.request.user, thread=instance, title=data.get("title"), kind=data.get("kind")
        )

    @extend_schema(
        request=inline_serializer("AcceptAnswer", {"post": serializers.IntegerField(allow_null=True)}),
        responses=ThreadSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a reply as the answer to a question (`post`: its id), or take it back (`post`: null)."""
        thread = self.get_object()
        raw = request.data.get("post") if isinstance(request.data, dict) else None
        post = None
        if raw not in (None, ""):
            post = Post.objects.filter(thread=thread, pk=raw).first() if str(raw).isdigit() else None
            if post is None:
                raise exceptions.ValidationError({"post": ["No such post in this discussion."]})
        services.thread_accept_answer(by=request.user, thread=thread, post=post)
        return Response(ThreadSerializer(thread, context=self.get_serializer_context()).data)

    @extend_schema(
        request=inline_serializer(
            "ModerateThread",
            {
                "pinned": serializers.BooleanField(required=False),
                "locked": serializers.BooleanField(required=False),
                "closed": serializers.BooleanField(required=False),
            },
        ),
        responses=ThreadSerializer,
    )
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        """Pin, lock or close a discussion, or undo it (moderators)."""
        thread = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        changes = {}
        for name in ("pinned", "locked", "closed"):
            if name in data:
                value = serializers.BooleanField().run_validation(data[name])
                changes[name] = value
        services.thread_moderate(by=request.user, thread=thread, **changes)
        return Response(ThreadSerializer(thread, context=self.get_serializer_context()).data)


class PostViewSet(RestrictedModelViewSet):
    """Posts the caller may see, oldest first (`?thread=<id>` for one discussion); reply, edit, react,
    remove (`DELETE`: the author or a moderator; the post stays as removed, its text in history only)."""

    queryset = Post.objects.select_related("author", "thread")
    serializer_class = PostSerializer
    filterset_class = PostFilterSet
    ordering = ["created_at", "id"]
    ordering_fields = ["created_at"]
    search_fields = ["body"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {"react": Action.VIEW}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return PostUpdateSerializer
        return super().get_serializer_class()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        posts = page if page is not None else list(queryset)
        # Render and count reactions for the whole page at once: a fixed number of queries.
        selectors.render_posts(user=self.request.user, posts=posts)
        reactions = selectors.reactions_for(user=self.request.user, posts=posts)
        for post in posts:
            post.reaction_counts = reactions.get(post.pk, [])
        return page

    def create_object(self, *, data):
        try:
            return services.post_create(
                by=self.request.user, thread=data["thread"], body=data["body"], reply_to=data.get("reply_to")
            )
        except RateLimited as refused:
            raise _throttled(refused) from None

    def update_object(self, *, instance, data):
        return services.post_edit(by=self.request.user, post=instance, body=data.get("body", instance.body))

    def delete_object(self, *, instance):
        """Removes the post: it stays in its thread as removed (`removed_at`), its text in history only."""
        services.post_remove(by=self.request.user, post=instance)

    @extend_schema(
        request=inline_serializer("React", {"emoji": serializers.ChoiceField(choices=Emoji.choices)}),
        responses=inline_serializer(
            "Reacted",
            {"emoji": serializers.CharField(), "reacted": serializers.BooleanField(),
             "reactions": ReactionCountSerializer(many=True)},
        ),
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def react(self, request, pk=None):
        """Toggle one of the fixed reactions (👍 "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket",
        "eyes") on a post."""
        post = self.get_object()
        emoji = request.data.get("emoji", "") if isinstance(request.data, dict) else ""
        reacted = services.reaction_toggle(by=request.user, post=post, emoji=str(emoji))
        counts = selectors.reactions_for(user=request.user, posts=[post]).get(post.pk, [])
        return Response(
            {
                "emoji": emoji,
                "reacted": reacted,
                "reactions": [{"emoji": r.emoji, "count": r.count, "mine": r.mine} for r in counts],
            }
        )

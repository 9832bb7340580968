"""Forum pages: the community home, categories, threads, replies, edits, answers, moderation, reactions,
the Discussion tab of any asset, the Markdown preview and the mention autocomplete. Thin: selectors read
(through `restrict`), services write and decide what is allowed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView, View

from apps.community import selectors, services
from apps.community.forms.discussions import CategoryForm, PostEditForm, PostForm, ThreadEditForm, ThreadForm
from apps.community.models import Category, Post, Thread, ThreadKind
from apps.community.services.ratelimit import RateLimited
from apps.core.assets import asset_key, asset_type, asset_types
from apps.core.permissions import Action

PAGE_SIZE = 25
AUTOCOMPLETE_LIMIT = 8


def _paginate(request, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _apply_errors(form, error: ValidationError) -> None:
    """A service's validation errors next to the matching fields (others at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        form.add_error(None, error)


def _filters_from(request, **fixed) -> selectors.ThreadFilters:
    query = request.GET
    return selectors.ThreadFilters(
        kind=query.get("kind", "")[:20],
        team=query.get("team", "")[:60],
        asset_type=query.get("type", "")[:100],
        unanswered=query.get("unanswered") in {"1", "true", "on"},
        status=query.get("status", "") if query.get("status") in {"open", "closed"} else "",
        author=query.get("author", "")[:150],
        text=query.get("q", "").strip()[:200],
        **fixed,
    )


def _filter_context(request, filters: selectors.ThreadFilters) -> dict:
    return {
        "filters": filters,
        "kinds": ThreadKind.choices,
        "team_choices": selectors.discussions.team_choices(user=request.user),
        "type_choices": selectors.discussions.asset_type_choices(),
        "filtered": any(
            [
                filters.kind,
                filters.team,
                filters.asset_type,
                filters.unanswered,
                filters.status,
                filters.author,
            ]
        )
        or bool(filters.text),
    }


# --- the forum ----------------------------------------------------------------------------------
class ForumHomeView(LoginRequiredMixin, TemplateView):
    """Categories, the latest discussions everywhere the person may look, unanswered questions."""

    template_name = "community/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        filters = _filters_from(self.request)
        page = _paginate(self.request, selectors.thread_list(user=user, filters=filters))
        selectors.thread_asset_links(page.object_list)
        unanswered = list(
            selectors.thread_list(user=user, filters=selectors.ThreadFilters(unanswered=True, status="open"))[
                :5
            ]
        )
        selectors.thread_asset_links(unanswered)
        return super().get_context_data(
            categories=list(selectors.category_list(user=user)),
            page_obj=page,
            threads=page.object_list,
            unanswered=unanswered,
            can_create_category=user.is_superuser or services.category_creatable_teams(user=user).exists(),
            **_filter_context(self.request, filters),
            **kwargs,
        )


class CategoryView(LoginRequiredMixin, TemplateView):
    """One category: its description and its discussions, newest activity first."""

    template_name = "community/category_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        category = selectors.category_get(user=user, slug=self.kwargs["slug"])
        filters = _filters_from(self.request, category=category)
        page = _paginate(self.request, selectors.thread_list(user=user, filters=filters))
        selectors.thread_asset_links(page.object_list)
        return super().get_context_data(
            category=category,
            page_obj=page,
            threads=page.object_list,
            can_change=selectors.category_user_may(user=user, category=category, action=Action.CHANGE),
            **_filter_context(self.request, filters),
            **kwargs,
        )


class CategoryCreateView(LoginRequiredMixin, View):
    """Open a category: data officers for their teams, administrators organisation-wide."""

    template_name = "community/category_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.teams = services.category_creatable_teams(user=request.user)
        if not request.user.is_superuser and not self.teams.exists():
            raise PermissionDenied("Only data officers open forum categories.")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        return CategoryForm(data, teams=self.teams, org_wide=self.request.user.is_superuser)

    def get(self, request):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                category = services.category_create(by=request.user, **data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"Category “{category.name}” opened.")
                return redirect(category)
        return render(request, self.template_name, {"form": form}, status=400)


class CategoryEditView(LoginRequiredMixin, View):
    """Rename, describe, reorder or change the visibility of a category (its team's data officers)."""

    template_name = "community/category_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.category = selectors.category_get(user=request.user, slug=kwargs["slug"])
        if not selectors.category_user_may(user=request.user, category=self.category, action=Action.CHANGE):
            raise PermissionDenied("Only the team's data officers may change this category.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, slug):
        category = self.category
        initial = {
            "name": category.name,
            "visibility": category.visibility,
            "description": category.description,
            "position": category.position,
        }
        form = CategoryForm(initial=initial, editing=True)
        return render(request, self.template_name, {"form": form, "category": category})

    def post(self, request, slug):
        form = CategoryForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.category_update(by=request.user, category=self.category, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Category saved.")
                return redirect(self.category)
        return render(request, self.template_name, {"form": form, "category": self.category}, status=400)


# --- threads ------------------------------------------------------------------------------------
def _thread_context(request, thread: Thread, *, form: PostForm | None = None) -> dict:
    """Everything the thread page shows, in a fixed number of queries whatever the number of posts."""
    user = request.user
    posts = list(selectors.post_list(user=user, thread=thread))
    selectors.render_posts(user=user, posts=posts)
    reactions = selectors.reactions_for(user=user, posts=posts)
    for post in posts:
        post.reaction_counts = reactions.get(post.pk, [])
    selectors.thread_asset_links([thread])
    rights = selectors.thread_rights(user=user, thread=thread)
    participants = {post.author_id: post.author for post in posts if post.author_id}
    return {
        "thread": thread,
        "opening": posts[0] if posts else None,
        "replies": posts[1:],
        "rights": rights,
        "form": form or PostForm(),
        "emojis": selectors.discussions.emoji_picker(),
        "participants": list(participants.values()),
        "is_following": selectors.is_following(user=user, target=thread),
        "follow_target": thread,
        "follow_key": selectors.follow_key(thread),
        "follower_count": selectors.follower_count(target=thread),
        "moderation_actions": [
            ("unpin", "Unpin", "pinned-off") if thread.is_pinned else ("pin", "Pin to the top", "pin"),
            ("unlock", "Unlock", "lock-open")
            if thread.is_locked
            else ("lock", "Lock (moderators only)", "lock"),
            ("reopen", "Reopen", "refresh") if thread.is_closed else ("close", "Close", "archive"),
        ],
        "asset_discussions_url": (
            selectors.asset_discussion_url(thread.asset) if thread.asset_type_id and thread.asset else ""
        ),
    }


class ThreadView(LoginRequiredMixin, TemplateView):
    """A discussion: its posts with reactions and the accepted answer, the reply form and moderation."""

    template_name = "community/thread_detail.html"

    def get_context_data(self, **kwargs):
        thread = selectors.thread_get(user=self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(**_thread_context(self.request, thread), **kwargs)


class PostCreateView(LoginRequiredMixin, View):
    """Reply in a thread (POST); a refused or invalid reply shows the page again with the error."""

    def post(self, request, pk):
        thread = selectors.thread_get(user=request.user, pk=pk)
        form = PostForm(request.POST)
        status, retry_after = 400, None
        if form.is_valid():
            reply_to = None
            if form.cleaned_data.get("reply_to"):
                reply_to = Post.objects.filter(thread=thread, pk=form.cleaned_data["reply_to"]).first()
            try:
                post = services.post_create(
                    by=request.user, thread=thread, body=form.cleaned_data["body"], reply_to=reply_to
                )
            except RateLimited as refused:
                form.add_error("body", str(refused))
                status, retry_after = 429, refused.retry_after
            except ValidationError as error:
                _apply_errors(form, error)
            except PermissionDenied as refused:  # a locked thread
                form.add_error("body", str(refused))
                status = 403
            else:
                return redirect(f"{thread.get_absolute_url()}#post-{post.pk}")
        context = _thread_context(request, thread, form=form)
        response = render(request, "community/thread_detail.html", context, status=status)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response


class ThreadCreateView(LoginRequiredMixin, View):
    """Start a discussion: on an asset (`?asset=catalog.dataset:12`) or in a category (`?category=slug`)."""

    template_name = "community/thread_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        key = request.GET.get("asset") or request.POST.get("asset") or ""
        self.asset = None
        if key:
            label, _, pk = key.rpartition(":")
            self.asset = selectors.asset_get(user=request.user, label=label, pk=pk)
        self.categories = Category.objects.restrict(request.user, Action.ADD).select_related("team")
        self.initial_category = None
        slug = request.GET.get("category", "")
        if slug and self.asset is None:
            self.initial_category = selectors.category_get(user=request.user, slug=slug)
        return super().dispatch(request, *args, **kwargs)

    def _context(self, form) -> dict:
        asset = self.asset
        registered = asset_type(asset) if asset is not None else None
        return {
            "form": form,
            "asset": asset,
            "asset_key": asset_key(asset) if asset is not None else "",
            "asset_label": registered.label if registered else "",
            "asset_icon": registered.icon if registered else "",
            "asset_url": selectors.discussions._asset_url(asset) if asset is not None else "",
            "asset_discussions_url": selectors.asset_discussion_url(asset) if asset is not None else "",
            "category": self.initial_category,
            "has_categories": self.asset is not None or self.categories.exists(),
        }

    def _form(self, data=None):
        initial = {"category": self.initial_category} if self.initial_category else None
        kind = self.request.GET.get("kind")
        if kind in ThreadKind.values:
            initial = {**(initial or {}), "kind": kind}
        return ThreadForm(data, initial=initial, categories=self.categories, on_asset=self.asset is not None)

    def get(self, request):
        return render(request, self.template_name, self._context(self._form()))

    def post(self, request):
        form = self._form(request.POST)
        status, retry_after = 400, None
        if form.is_valid():
            data = form.cleaned_data
            try:
                thread = services.thread_create(
                    by=request.user,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    asset=self.asset,
                    category=data.get("category"),
                )
            except RateLimited as refused:
                form.add_error("body", str(refused))
                status, retry_after = 429, refused.retry_after
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Discussion started. You follow it: replies come to your inbox.")
                return redirect(thread)
        response = render(request, self.template_name, self._context(form), status=status)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response


class ThreadMixin(LoginRequiredMixin):
    """Loads the thread through `restrict` (404 when not visible)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.thread = selectors.thread_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class ThreadEditView(ThreadMixin, View):
    """Retitle a discussion or change its kind (its author, or the asset's editors)."""

    template_name = "community/thread_edit.html"

    def _check(self, request):
        if not services.thread_user_may(user=request.user, thread=self.thread, action=Action.CHANGE):
            raise PermissionDenied("Only the author or the asset's editors may change this discussion.")

    def get(self, request, pk):
        self._check(request)
        form = ThreadEditForm(initial={"title": self.thread.title, "kind": self.thread.kind})
        return render(request, self.template_name, {"form": form, "thread": self.thread})

    def post(self, request, pk):
        self._check(request)
        form = ThreadEditForm(request.POST)
        if form.is_valid():
            try:
                services.thread_update(by=request.user, thread=self.thread, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Discussion saved.")
                return redirect(self.thread)
        return render(request, self.template_name, {"form": form, "thread": self.thread}, status=400)


class ThreadAcceptView(ThreadMixin, View):
    """Accept a reply as the answer (POST `post`), or take the mark back (empty `post`)."""

    def post(self, request, pk):
        raw = request.POST.get("post", "")
        post = None
        if raw:
            post = Post.objects.filter(thread=self.thread, pk=raw).first() if raw.isdigit() else None
            if post is None:
                raise Http404("No such post in this discussion.")
        try:
            services.thread_accept_answer(by=request.user, thread=self.thread, post=post)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Answer accepted." if post else "Accepted answer removed.")
        return redirect(f"{self.thread.get_absolute_url()}{f'#post-{post.pk}' if post else ''}")


MODERATION = {
    "pin": ({"pinned": True}, "Pinned: it shows first in its lists."),
    "unpin": ({"pinned": False}, "Unpinned."),
    "lock": ({"locked": True}, "Locked: only moderators may post now."),
    "unlock": ({"locked": False}, "Unlocked: everyone who sees it may post again."),
    "close": ({"closed": True}, "Closed."),
    "reopen": ({"closed": False}, "Reopened."),
}


class ThreadModerateView(ThreadMixin, View):
    """Pin, lock or close a discussion, and undo it (moderators)."""

    def post(self, request, pk):
        if not services.thread_user_may(user=request.user, thread=self.thread, action=Action.MANAGE):
            raise PermissionDenied("Only moderators (data officers) may pin, lock or close discussions.")
        action = MODERATION.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, "Unknown moderation action.")
            return redirect(self.thread)
        change, done = action
        services.thread_moderate(by=request.user, thread=self.thread, **change)
        messages.success(request, done)
        return redirect(self.thread)


# --- posts --------------------------------------------------------------------------------------
class PostMixin(LoginRequiredMixin):
    """Loads the post through `restrict` (404 when not visible)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.post_object = selectors.post_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


def _post_fragment(request, post: Post, thread: Thread) -> HttpResponse:
    selectors.render_posts(user=request.user, posts=[post])
    post.reaction_counts = selectors.reactions_for(user=request.user, posts=[post]).get(post.pk, [])
    rights = selectors.thread_rights(user=request.user, thread=thread)
    return render(
        request,
        "community/_post.html",
        {"post": post, "thread": thread, "rights": rights, "emojis": selectors.discussions.emoji_picker()},
    )


class PostEditView(PostMixin, View):
    """Edit a post (its author or a moderator): inline with htmx, or as a page."""

    template_name = "community/post_edit.html"

    def _check(self, request):
        if not Post.objects.restrict(request.user, Action.CHANGE).filter(pk=self.post_object.pk).exists():
            raise PermissionDenied("Only the author or a moderator may edit this post.")

    def _render_form(self, request, form, status=200):
        template = "community/_post_edit_form.html" if request.htmx else self.template_name
        context = {"form": form, "post": self.post_object, "thread": self.post_object.thread}
        response = render(request, template, context, status=status)
        if request.htmx and request.method == "POST":
            # The form comes back with its errors where it was, not in place of the whole post.
            response["HX-Retarget"] = f"#post-body-{self.post_object.pk}"
            response["HX-Reswap"] = "innerHTML"
        return response

    def get(self, request, pk):
        self._check(request)
        form = PostEditForm(initial={"body": self.post_object.body}, auto_id=self._auto_id())
        return self._render_form(request, form)

    def _auto_id(self) -> str:
        return f"id_post{self.post_object.pk}_%s"  # unique beside the reply form on the same page

    def post(self, request, pk):
        self._check(request)
        form = PostEditForm(request.POST, auto_id=self._auto_id())
        if form.is_valid():
            try:
                post = services.post_edit(
                    by=request.user, post=self.post_object, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                _apply_errors(form, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            else:
                if request.htmx:
                    return _post_fragment(request, post, post.thread)
                messages.success(request, "Post saved; the previous text is kept in its revisions.")
                return redirect(f"{post.thread.get_absolute_url()}#post-{post.pk}")
        return self._render_form(request, form, status=200 if request.htmx else 400)


class PostRevisionsView(PostMixin, TemplateView):
    """Every version of a post, newest first, rendered, with who wrote it and when."""

    template_name = "community/post_revisions.html"

    def get_context_data(self, **kwargs):
        post = self.post_object
        if post.removed_at is not None and not selectors.post_user_may(
            user=self.request.user, post=post, action=Action.DELETE
        ):
            raise PermissionDenied("This post was removed: only its author and the moderators may read it.")
        revisions = selectors.post_revisions(post=post)
        selectors.render_posts(user=self.request.user, posts=revisions)
        return super().get_context_data(post=post, thread=post.thread, revisions=revisions, **kwargs)


class PostRemoveView(PostMixin, View):
    """Remove a post (POST; its author or a moderator): it stays in the thread as "removed"."""

    def post(self, request, pk):
        post = self.post_object
        try:
            services.post_remove(by=request.user, post=post)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The post was removed; its text stays in its history.")
        target = f"{post.thread.get_absolute_url()}#post-{post.pk}"
        if request.htmx:  # the form asks first (hx-confirm), then the whole thread reloads
            return HttpResponse(headers={"HX-Redirect": target})
        return redirect(target)


class PostReactView(PostMixin, View):
    """Toggle one of the fixed emoji on a post (POST `emoji`); htmx gets the reaction bar back."""

    def post(self, request, pk):
        post = self.post_object
        try:
            services.reaction_toggle(by=request.user, post=post, emoji=request.POST.get("emoji", ""))
        except ValidationError as error:
            if request.htmx:
                return HttpResponse(" ".join(error.messages), status=400)
            messages.error(request, " ".join(error.messages))
        if request.htmx:
            post.reaction_counts = selectors.reactions_for(user=request.user, posts=[post]).get(post.pk, [])
            return render(
                request,
                "community/_reactions.html",
                {"post": post, "emojis": selectors.discussions.emoji_picker()},
            )
        return redirect(f"{post.thread.get_absolute_url()}#post-{post.pk}")


# --- the editor's helpers -----------------------------------------------------------------------
class PreviewView(LoginRequiredMixin, View):
    """The editor's Preview tab: the text as it will read, with links resolved for the writer."""

    def post(self, request):
        body = request.POST.get("body", "")[: services.discussions.BODY_MAX]
        html = selectors.render_body(user=request.user, body=body) if body.strip() else ""
        return render(request, "community/_preview.html", {"html": mark_safe(html)})  # noqa: S308 - nh3


class AutocompleteView(LoginRequiredMixin, View):
    """Suggestions for `@` (people and teams) and `#` (assets the person may see) as they type."""

    def get(self, request):
        raw = request.GET.get("q", "")[:100]
        prefix, text = (raw[:1], raw[1:]) if raw[:1] in {"@", "#"} else ("@", raw)
        text = text.strip().lower()
        suggestions = _people_suggestions(text) if prefix == "@" else _asset_suggestions(request.user, text)
        return render(
            request,
            "community/_autocomplete.html",
            {"suggestions": suggestions, "prefix": prefix, "text": text},
        )


def _people_suggestions(text: str) -> list[dict]:
    """Active people by username or name, then teams by slug or name (the directory everyone may read)."""
    from django.db.models import Q

    from apps.teams.models import Team

    if not text:
        return []
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(username__istartswith=text) | Q(first_name__istartswith=text) | Q(last_name__istartswith=text)
        )
        .order_by(Lower("username"))[:AUTOCOMPLETE_LIMIT]
    )
    found = [
        {
            "insert": f"@{p.username}",
            "label": p.get_full_name() or p.username,
            "hint": f"@{p.username}",
            "icon": "user",
        }
        for p in people
    ]
    teams = Team.objects.filter(Q(slug__istartswith=text) | Q(name__istartswith=text)).order_by("name")
    found += [
        {"insert": f"@{t.slug}", "label": t.name, "hint": f"@{t.slug} · team", "icon": "users-group"}
        for t in teams[:AUTOCOMPLETE_LIMIT]
    ]
    return found[:AUTOCOMPLETE_LIMIT]


def _asset_suggestions(user, text: str) -> list[dict]:
    """Assets with a slug the person may see (one query per slugged asset type)."""
    from django.db.models import Q

    if not text:
        return []
    found = []
    for registered in asset_types():
        model = registered.model
        names = {f.name for f in model._meta.get_fields()}
        objects = model._default_manager.all()
        if "slug" not in names or not hasattr(objects, "restrict"):
            continue
        condition = Q(slug__istartswith=text)
        if "name" in names:
            condition |= Q(name__istartswith=text)
        rows = objects.restrict(user, Action.VIEW).filter(condition)
        if "team" in names:
            rows = rows.select_related("team")
        for obj in rows.order_by("slug")[:AUTOCOMPLETE_LIMIT]:
            team = getattr(obj, "team", None)
            found.append(
                {
                    "insert": f"#{obj.slug}",
                    "label": str(obj),
                    "hint": f"{registered.label}{f' · {team.name}' if team else ''}",
                    "icon": registered.icon,
                }
            )
    return found[:AUTOCOMPLETE_LIMIT]


# --- any asset's Discussion tab -----------------------------------------------------------------
def _header_template(asset) -> str | None:
    """The owning app's page header for this asset type (e.g. catalog/_dataset_header.html), if any."""
    try:
        return select_template(
            [f"{asset._meta.app_label}/_{asset._meta.model_name}_header.html"]
        ).template.name
    except TemplateDoesNotExist:
        return None


class AssetDiscussionsView(LoginRequiredMixin, TemplateView):
    """The Discussion tab of any registered asset: its threads and a form to start one."""

    template_name = "community/asset_discussions.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.asset = selectors.asset_get(user=request.user, label=kwargs["label"], pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user, asset = self.request.user, self.asset
        filters = _filters_from(self.request, asset=asset)
        page = _paginate(self.request, selectors.thread_list(user=user, filters=filters))
        selectors.thread_asset_links(page.object_list)
        registered = asset_type(asset)
        objects = type(asset)._default_manager.all()
        can_change = objects.restrict(user, Action.CHANGE).filter(pk=asset.pk).exists()
        context = super().get_context_data(**kwargs)
        context.update(
            asset=asset,
            asset_key=asset_key(asset),
            asset_label=registered.label if registered else asset._meta.verbose_name,
            asset_icon=registered.icon if registered else "circle",
            asset_url=selectors.discussions._asset_url(asset),
            page_obj=page,
            threads=page.object_list,
            thread_total=page.paginator.count,
            form=ThreadForm(on_asset=True),
            can_change=can_change,
            active_tab="discussion",
            header_template=_header_template(asset),
            new_thread_url=f"{reverse('community:thread_create')}?asset={asset_key(asset)}",
            **_filter_context(self.request, filters),
            **{asset._meta.model_name: asset},
        )
        return context

"""Idea board pages: the board, an idea's page, propose/edit, vote (htmx), the workflow, links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.views.generic import FormView, ListView, TemplateView, View

from apps.community.forms.ideas import IdeaFilterForm, IdeaForm, IdeaLinkForm, IdeaTransitionForm
from apps.community.models import Idea, IdeaVote
from apps.community.selectors import ideas as selectors
from apps.community.selectors.assets import asset_from_key, asset_picker_choices
from apps.community.services import ideas as services
from apps.core.views import ObjectHistoryView


def _errors_to_form(form, error: ValidationError) -> None:
    """Put a service's validation errors next to the matching fields (others at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        form.add_error(None, error)


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


class IdeaListView(LoginRequiredMixin, ListView):
    """The board: visible ideas sorted hot, top or new; filtered by status, team, linked asset type."""

    template_name = "community/idea_list.html"
    paginate_by = 25
    context_object_name = "ideas"

    def get_queryset(self):
        self.filter_form = IdeaFilterForm(self.request.GET or None)
        self.filters = self.filter_form.filters()
        return selectors.idea_list(user=self.request.user, **self.filters)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        filters = self.filters
        counts = selectors.idea_status_counts(
            user=self.request.user,
            team=filters["team"],
            asset_type=filters["asset_type"],
            text=filters["text"],
        )
        return super().get_context_data(
            filter_form=self.filter_form,
            filters=filters,
            filtered=bool(filters["team"] or filters["status"] or filters["asset_type"] or filters["text"]),
            status_counts=counts,
            status_tabs=[
                ("", "All", counts["all"]),
                ("open", "Open", counts["open"]),
                *[(s, selectors.idea_status_label(s), counts[s]) for s in selectors.STATUS_FILTERS[2:]],
            ],
            sorts=[("hot", "Hot", "flame"), ("top", "Top", "trophy"), ("new", "New", "sparkles")],
            **kwargs,
        )


class IdeaMixin(LoginRequiredMixin):
    """Loads the idea through `restrict` (404 if the user may not see it)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.idea = selectors.idea_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def idea_context(self, **extra) -> dict:
        user, idea = self.request.user, self.idea
        return {
            "idea": idea,
            "can_edit": services.idea_user_may_edit(user=user, idea=idea),
            "can_manage": services.idea_user_may_manage(user=user, idea=idea),
            **extra,
        }


class IdeaView(IdeaMixin, TemplateView):
    """An idea's page: description, workflow so far and its controls, votes, linked assets."""

    template_name = "community/idea_detail.html"

    def get_context_data(self, transition_form=None, link_form=None, **kwargs):
        user, idea = self.request.user, self.idea
        context = self.idea_context(
            active_tab="overview",
            links=selectors.idea_links(user=user, idea=idea),
            status_changes=selectors.idea_status_changes(idea=idea),
            voters=selectors.idea_voters(idea=idea),
            can_delete=services.idea_user_may_delete(user=user, idea=idea),
            **kwargs,
        )
        if context["can_manage"]:
            context["transition_form"] = transition_form or IdeaTransitionForm(
                choices=services.idea_next_statuses(idea=idea)
            )
        if context["can_edit"]:
            context["link_form"] = link_form or IdeaLinkForm(choices=asset_picker_choices(user=user))
        return super().get_context_data(**context)


class IdeaCreateView(LoginRequiredMixin, FormView):
    """Propose an idea to a team."""

    template_name = "community/idea_form.html"
    form_class = IdeaForm

    def get_initial(self):
        team = self.request.GET.get("team")
        return {"team": team} if team else {}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        slug = self.request.GET.get("team")
        if slug and not form.is_bound:
            form.initial["team"] = form.fields["team"].queryset.filter(slug=slug).first()
        return form

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            idea = services.idea_create(
                team=data["team"],
                by=self.request.user,
                title=data["title"],
                description=data["description"],
                visibility=data["visibility"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, f"Idea “{idea.title}” proposed to {idea.team.name}; your vote is counted."
        )
        return redirect(idea)


class IdeaEditView(IdeaMixin, FormView):
    """Edit an idea's title, description and (for the team) visibility."""

    template_name = "community/idea_form.html"
    form_class = IdeaForm

    def get(self, request, *args, **kwargs):
        self._check()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._check()
        return super().post(request, *args, **kwargs)

    def _check(self) -> None:
        if not services.idea_user_may_edit(user=self.request.user, idea=self.idea):
            raise PermissionDenied("Only the author or the owning team may edit this idea.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "idea": self.idea}

    def get_context_data(self, **kwargs):
        return super().get_context_data(idea=self.idea, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        idea = Idea.objects.select_related("team").get(pk=self.idea.pk)
        try:
            services.idea_update(
                idea=idea,
                by=self.request.user,
                title=data["title"],
                description=data["description"],
                visibility=data["visibility"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{idea.title}”.")
        return redirect(idea)


class IdeaHistoryView(ObjectHistoryView):
    """Who changed the idea, what and when."""

    model = Idea
    template_name = "community/idea_history.html"
    list_crumb = ("Ideas", "community:idea_list")
    context_object_name = "idea"

    def base_queryset(self):
        voted = IdeaVote.objects.filter(idea=OuterRef("pk"), user_id=self.request.user.pk)
        return Idea.objects.select_related("team", "author").annotate(has_voted=Exists(voted))

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            active_tab="history",
            can_edit=services.idea_user_may_edit(user=user, idea=self.object),
            **kwargs,
        )


class IdeaVoteView(IdeaMixin, View):
    """Vote for the idea, or withdraw the vote (POST); htmx gets the updated vote button back."""

    def post(self, request, *args, **kwargs):
        idea = self.idea
        try:
            services.idea_vote_toggle(idea=idea, by=request.user)
        except ValidationError as error:
            if request.htmx:
                return render(
                    request,
                    "community/_idea_vote.html",
                    {"idea": idea, "vote_error": " ".join(_messages(error))},
                )
            messages.error(request, " ".join(_messages(error)))
            return redirect(idea)
        fresh = selectors.idea_get(user=request.user, pk=idea.pk)
        if request.htmx:
            return render(
                request, "community/_idea_vote.html", {"idea": fresh, "size": request.POST.get("size", "")}
            )
        messages.success(request, "Vote counted." if fresh.has_voted else "Vote withdrawn.")
        return redirect(
            request.POST.get("next") if _safe(request.POST.get("next")) else fresh.get_absolute_url()
        )


def _safe(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")


class IdeaTransitionView(IdeaMixin, View):
    """Move the idea to another status (the owning team's data officers)."""

    def post(self, request, *args, **kwargs):
        idea = self.idea
        if not services.idea_user_may_manage(user=request.user, idea=idea):
            raise PermissionDenied("Only the team's data officers may change an idea's status.")
        form = IdeaTransitionForm(request.POST, choices=services.idea_next_statuses(idea=idea))
        if form.is_valid():
            try:
                change = services.idea_transition(
                    idea=idea,
                    by=request.user,
                    to_status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, f"“{idea.title}” is now {change.get_to_status_display().lower()}.")
                return redirect(idea)
        view = IdeaView()
        view.setup(request, *args, **kwargs)
        view.idea = idea
        return view.render_to_response(view.get_context_data(transition_form=form), status=400)


class IdeaLinkAddView(IdeaMixin, View):
    """Link the idea to an asset it would change (the author or the owning team)."""

    def post(self, request, *args, **kwargs):
        idea = self.idea
        if not services.idea_user_may_edit(user=request.user, idea=idea):
            raise PermissionDenied("Only the author or the owning team may link this idea to assets.")
        choices = asset_picker_choices(user=request.user)
        form = IdeaLinkForm(request.POST, choices=choices)
        if form.is_valid():
            try:
                target = asset_from_key(user=request.user, key=form.cleaned_data["asset"])
                services.idea_link_add(idea=idea, by=request.user, target=target)
            except ValueError as error:
                form.add_error("asset", str(error))
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, f"Linked to {target}.")
                return redirect(idea)
        view = IdeaView()
        view.setup(request, *args, **kwargs)
        view.idea = idea
        return view.render_to_response(view.get_context_data(link_form=form), status=400)


class IdeaLinkRemoveView(IdeaMixin, View):
    """Remove one of the idea's links (POST)."""

    def post(self, request, *args, **kwargs):
        link = selectors.idea_link_get(user=request.user, idea=self.idea, pk=kwargs["link_pk"])
        services.idea_link_remove(link=link, by=request.user)
        messages.success(request, "Link removed.")
        return redirect(self.idea)


class IdeaDeleteView(IdeaMixin, View):
    """Delete the idea (POST; the team's roles that may delete)."""

    def post(self, request, *args, **kwargs):
        idea = self.idea
        services.idea_delete(idea=idea, by=request.user)
        messages.success(request, f"Idea “{idea.title}” deleted.")
        return redirect("community:idea_list")

"""Glossary and tag pages: terms (list, detail with what uses it, edit, history), tags, a dataset's labels."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.views.generic import ListView, TemplateView

from apps.catalog.forms.glossary import DatasetLabelsForm, GlossaryTermFilterForm, GlossaryTermForm
from apps.catalog.models import GlossaryTerm
from apps.catalog.selectors import datasets as dataset_selectors
from apps.catalog.selectors import glossary as selectors
from apps.catalog.services import glossary as services
from apps.catalog.views.datasets import DatasetMixin
from apps.core.permissions import Action
from apps.core.views import FilteredListView, NearestPageMixin, ObjectHistoryView, ServiceFormView


class GlossaryTermListView(FilteredListView):
    """The business glossary: terms the user may see, searchable, filterable by team."""

    template_name = "catalog/glossary_list.html"
    paginate_by = 50
    context_object_name = "terms"
    filter_form_class = GlossaryTermFilterForm
    selector = selectors.glossary_term_list

    def get_context_data(self, **kwargs):
        from apps.teams.models import Team

        return super().get_context_data(
            filters=self.filters,
            teams=Team.objects.restrict(self.request.user).order_by("name"),
            can_create=selectors.glossary_creatable_teams(user=self.request.user).exists(),
            **kwargs,
        )


class GlossaryTermMixin(LoginRequiredMixin):
    """Loads the term through `restrict` (404), then checks the view's action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.term = selectors.glossary_term_get(user=request.user, slug=kwargs["slug"])
        if self.action != Action.VIEW and not selectors.glossary_term_user_may(
            user=request.user, term=self.term, action=self.action
        ):
            raise PermissionDenied("Your role in this term's team may not change it.")
        return super().dispatch(request, *args, **kwargs)


class GlossaryTermView(GlossaryTermMixin, TemplateView):
    """A term: definition, synonyms, related terms, owners, and the datasets and columns that use it."""

    template_name = "catalog/term_detail.html"

    def get_context_data(self, **kwargs):
        user, term = self.request.user, self.term
        return super().get_context_data(
            term=term,
            owners=list(term.owners.order_by("username")),
            related=selectors.glossary_term_related(user=user, term=term),
            datasets=selectors.glossary_term_datasets(user=user, term=term)[:200],
            columns=selectors.glossary_term_columns(user=user, term=term)[:200],
            can_change=selectors.glossary_term_user_may(user=user, term=term, action=Action.CHANGE),
            **kwargs,
        )


class GlossaryTermCreateView(LoginRequiredMixin, ServiceFormView):
    """Define a term in one of the teams where the user may add assets."""

    template_name = "catalog/term_form.html"
    form_class = GlossaryTermForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.teams = selectors.glossary_creatable_teams(user=request.user)
        if not self.teams.exists():
            raise PermissionDenied("None of your roles may define glossary terms.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "teams": self.teams}

    def perform(self, form):
        data = form.cleaned_data
        term = services.glossary_term_create(
            team=data["team"],
            by=self.request.user,
            name=data["name"],
            definition=data["definition"],
            synonyms=data["synonyms"],
            visibility=data["visibility"],
            owners=data["owners"] or None,
            related=data["related"],
        )
        return term, f"Term “{term.name}” added to the glossary."


class GlossaryTermEditView(GlossaryTermMixin, ServiceFormView):
    """Edit a term (members of its team with the change right)."""

    template_name = "catalog/term_form.html"
    form_class = GlossaryTermForm
    action = Action.CHANGE

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "term": self.term}

    def get_context_data(self, **kwargs):
        return super().get_context_data(term=self.term, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        term = GlossaryTerm.objects.select_related("team").get(pk=self.term.pk)
        # Keep related terms the editor cannot see (another team's private terms).
        hidden = list(
            term.related.exclude(pk__in=selectors.glossary_term_choices(user=self.request.user).values("pk"))
        )
        services.glossary_term_update(
            term=term,
            by=self.request.user,
            name=data["name"],
            definition=data["definition"],
            synonyms=data["synonyms"],
            visibility=data["visibility"],
            owners=data["owners"],
            related=[*data["related"], *hidden],
        )
        return term, f"Saved “{term.name}”."


class GlossaryTermHistoryView(ObjectHistoryView):
    """Who changed the term, what and when."""

    model = GlossaryTerm
    template_name = "catalog/term_history.html"
    list_crumb = ("Glossary", "catalog:term_list")
    slug_field = "slug"

    def base_queryset(self):
        return GlossaryTerm.objects.select_related("team")


class TagListView(LoginRequiredMixin, NearestPageMixin, ListView):
    """Tags on datasets the user may see, with their counts."""

    template_name = "catalog/tag_list.html"
    paginate_by = 100
    context_object_name = "tags"

    def get_queryset(self):
        self.text = self.request.GET.get("q", "")
        return selectors.tag_list(user=self.request.user, text=self.text)

    def get_context_data(self, **kwargs):
        return super().get_context_data(text=self.text, **kwargs)


class TagView(LoginRequiredMixin, NearestPageMixin, ListView):
    """One tag and the datasets (that the user may see) carrying it."""

    template_name = "catalog/tag_detail.html"
    paginate_by = 50
    context_object_name = "datasets"

    def get_queryset(self):
        self.tag = selectors.tag_get(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.tag_datasets(user=self.request.user, tag=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class DatasetLabelsEditView(DatasetMixin, ServiceFormView):
    """Set a dataset's tags and glossary terms (members with the change right)."""

    template_name = "catalog/tags_edit.html"
    form_class = DatasetLabelsForm
    action = Action.CHANGE

    def get_initial(self):
        labels = selectors.dataset_labels(user=self.request.user, dataset=self.dataset)
        return {"tags": ", ".join(tag.name for tag in labels["tags"]), "terms": labels["terms"]}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            dataset=self.dataset,
            can_change=dataset_selectors.dataset_user_may(
                user=self.request.user, dataset=self.dataset, action=Action.CHANGE
            ),
            active_tab="overview",
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        with transaction.atomic():  # both or neither
            services.dataset_tags_set(dataset=self.dataset, by=self.request.user, names=data["tags"])
            services.dataset_terms_set(dataset=self.dataset, by=self.request.user, terms=data["terms"])
        return self.dataset, "Tags and glossary terms saved."

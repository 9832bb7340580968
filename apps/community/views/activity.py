"""Activity pages: the filterable, paginated feed (everywhere or per team) and an asset's Activity tab."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch
from django.views.generic import TemplateView

from apps.community.forms.activity import ActivityFilterForm
from apps.community.selectors.activity import PAGE_SIZE, ActivityScope, activity_feed
from apps.community.selectors.assets import asset_get
from apps.core.assets import asset_type


class ActivityView(LoginRequiredMixin, TemplateView):
    """Who did what, when, wherever the user may look (or in one team), with filters and pages."""

    template_name = "community/activity_list.html"

    def get_context_data(self, **kwargs):
        form = ActivityFilterForm(self.request.GET or None)
        team = form.selected_team()
        scope = ActivityScope(team_ids=(team.pk,) if team is not None else None)
        filters = form.filters()
        page = Paginator(
            activity_feed(user=self.request.user, scope=scope, filters=filters), PAGE_SIZE
        ).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            filter_form=form,
            team=team,
            filtered=filters.any or team is not None,
            page_obj=page,
            activity=page.object_list,
            **kwargs,
        )


def header_template(asset) -> str | None:
    """The owning app's page header for this asset type (e.g. catalog/_dataset_header.html), if any."""
    try:
        return select_template(
            [f"{asset._meta.app_label}/_{asset._meta.model_name}_header.html"]
        ).template.name
    except TemplateDoesNotExist:
        return None


class AssetActivityView(LoginRequiredMixin, TemplateView):
    """One asset's Activity tab: its own history and the community events about it, filterable."""

    template_name = "community/activity_asset.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.asset = asset_get(user=request.user, label=kwargs["label"], pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        asset = self.asset
        form = ActivityFilterForm(self.request.GET or None, with_team=False)
        filters = form.filters()
        feed = activity_feed(user=self.request.user, scope=ActivityScope(asset=asset), filters=filters)
        page = Paginator(feed, PAGE_SIZE).get_page(self.request.GET.get("page"))
        registered = asset_type(asset)
        return super().get_context_data(
            asset=asset,
            asset_label=registered.label,
            asset_icon=registered.icon,
            asset_url=_asset_url(asset),
            header_template=header_template(asset),
            filter_form=form,
            filtered=filters.any,
            page_obj=page,
            activity=page.object_list,
            active_tab="activity",
            # The owning app's header reads the asset under its model name (dataset, idea …).
            **{asset._meta.model_name: asset},
            **kwargs,
        )


def _asset_url(asset) -> str:
    try:
        return asset.get_absolute_url() if hasattr(asset, "get_absolute_url") else ""
    except NoReverseMatch:  # the asset's own page is not built yet
        return ""

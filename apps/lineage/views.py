"""Lineage pages: an asset's graph with depth control and impact analysis; draw and remove edges."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from apps.core.assets import asset_type
from apps.core.permissions import Action
from apps.lineage import selectors, services
from apps.lineage.forms import EdgeDrawForm
from apps.lineage.models import Edge


class AssetMixin(LoginRequiredMixin):
    """Loads the page's asset through `restrict` (404 when unknown or not visible)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        model = selectors.asset_model(kwargs["label"])
        self.asset = selectors.asset_get(user=request.user, model=model, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


def _depth(raw) -> int:
    return int(raw) if raw and str(raw).isdigit() and 1 <= int(raw) <= selectors.MAX_DEPTH else 2


class AssetLineageView(AssetMixin, TemplateView):
    """Upstream and downstream of one asset, drawn left to right, with what a change would impact."""

    template_name = "lineage/asset_lineage.html"

    def get_context_data(self, **kwargs):
        user, asset = self.request.user, self.asset
        depth = _depth(self.request.GET.get("depth"))
        graph = selectors.lineage_graph(user=user, root=asset, depth=depth)
        data = selectors.graph_as_json(graph)
        can_change = selectors.asset_user_may(user=user, obj=asset, action=Action.CHANGE)
        changeable = selectors.edge_changeable_ids(user=user, edge_ids=graph.edges) if graph.edges else set()
        names = {node["id"]: node["name"] for node in data["nodes"]}
        edges = [
            {**edge, "source_name": names[edge["source"]], "target_name": names[edge["target"]]}
            for edge in data["edges"]
        ]
        registered = asset_type(asset)
        context = super().get_context_data(**kwargs)
        context.update(
            asset=asset,
            asset_label=registered.label if registered else asset._meta.verbose_name,
            asset_icon=registered.icon if registered else "circle",
            asset_label_lower=asset._meta.label_lower,
            asset_url=selectors.asset_url(asset),
            depth=depth,
            depths=range(1, selectors.MAX_DEPTH + 1),
            graph=data,
            edges=edges,
            changeable=changeable,
            impact=selectors.lineage_impact(user=user, root=asset),
            can_change=can_change,
            active_tab="lineage",
            header_template=_header_template(asset),
            **{asset._meta.model_name: asset},
        )
        if can_change:
            choices = selectors.asset_choices(user=user, exclude=asset)
            context.update(form=EdgeDrawForm(choices=choices), asset_choices=choices)
        return context


def _header_template(asset) -> str | None:
    """The owning app's page header for this asset type (e.g. catalog/_dataset_header.html), if any."""
    try:
        return select_template(
            [f"{asset._meta.app_label}/_{asset._meta.model_name}_header.html"]
        ).template.name
    except TemplateDoesNotExist:
        return None


class EdgeDrawView(AssetMixin, View):
    """Draw an edge from or to the page's asset (needs the right to change it)."""

    def post(self, request, *args, **kwargs):
        asset = self.asset
        if not selectors.asset_user_may(user=request.user, obj=asset, action=Action.CHANGE):
            raise PermissionDenied("Your role may not change this asset's lineage.")
        form = EdgeDrawForm(request.POST, choices=selectors.asset_choices(user=request.user, exclude=asset))
        back = redirect("lineage:asset", label=asset._meta.label_lower, pk=asset.pk)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label or 'Edge'}: {' '.join(errors)}")
            return back
        other = selectors.asset_get_by_key(user=request.user, key=form.cleaned_data["other"])
        source, target = (asset, other) if form.cleaned_data["direction"] == "downstream" else (other, asset)
        try:
            services.edge_draw(
                source=source,
                target=target,
                by=request.user,
                transformation=form.cleaned_data["transformation"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return back
        messages.success(request, f"Edge drawn: {source} → {target}.")
        return back


class EdgeDeleteView(LoginRequiredMixin, View):
    """Remove an edge a person drew (needs the right to change one of its ends)."""

    def post(self, request, pk: int):
        edge = Edge.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
        if edge is None:
            raise Http404("No such edge.")
        if not Edge.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists():
            raise PermissionDenied("Your role may not change the lineage of these assets.")
        try:
            services.edge_delete(edge=edge, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Edge removed.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "home"
        return redirect(target)

"""Lineage over REST: the graph and impact of an asset, and the edges people draw."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.viewsets import RestrictedModelViewSet
from apps.core.permissions import Action
from apps.lineage import selectors, services
from apps.lineage.api.serializers import EdgeSerializer
from apps.lineage.models import Edge, Provenance

ASSET_PARAMETER = OpenApiParameter(
    "asset", str, required=True, description="The asset as <app_label>.<model>:<id>, e.g. catalog.dataset:12."
)


def _asset_from_query(request):
    key = request.query_params.get("asset", "")
    try:
        return selectors.asset_get_by_key(user=request.user, key=key)
    except ValueError as error:
        raise exceptions.ValidationError({"asset": [str(error)]}) from None


class LineageGraphView(APIView):
    """Upstream and downstream of an asset as nodes and edges, to a depth of 1–5."""

    @extend_schema(
        tags=["lineage"],
        parameters=[
            ASSET_PARAMETER,
            OpenApiParameter("depth", int, description="Levels in each direction, 1–5 (default 2)."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        depth = request.query_params.get("depth", "2")
        if not depth.isdigit() or not 1 <= int(depth) <= selectors.MAX_DEPTH:
            raise exceptions.ValidationError({"depth": [f"A whole number from 1 to {selectors.MAX_DEPTH}."]})
        root = _asset_from_query(request)
        graph = selectors.lineage_graph(user=request.user, root=root, depth=int(depth))
        return Response(selectors.graph_as_json(graph))


class LineageImpactView(APIView):
    """Everything downstream of an asset, grouped by type, with the owners to notify."""

    @extend_schema(tags=["lineage"], parameters=[ASSET_PARAMETER], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        root = _asset_from_query(request)
        return Response(selectors.impact_as_json(selectors.lineage_impact(user=request.user, root=root)))


@extend_schema(tags=["lineage"])
class EdgeViewSet(RestrictedModelViewSet):
    """Edges whose both ends you can see; draw (create), edit and remove the ones people draw.

    Filter with `?asset=catalog.dataset:12` (edges touching that asset) and `?provenance=user`.
    """

    queryset = Edge.objects.select_related("created_by", "source_type", "target_type").prefetch_related(
        "columns"
    )
    serializer_class = EdgeSerializer
    filter_backends = []  # filtering by asset and provenance is explicit below
    # Drawing, editing and removing lineage changes the assets it connects.
    action_permissions = {"update": Action.CHANGE, "partial_update": Action.CHANGE, "destroy": Action.CHANGE}

    def get_queryset(self):
        edges = super().get_queryset().order_by("id")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return edges
        key = self.request.query_params.get("asset")
        if key:
            try:
                asset = selectors.asset_get_by_key(user=self.request.user, key=key)
            except ValueError as error:
                raise exceptions.ValidationError({"asset": [str(error)]}) from None
            except Http404:  # an asset you cannot see has no edges you can see
                return edges.none()
            edges = selectors.edge_list(user=self.request.user, asset=asset)
        provenance = self.request.query_params.get("provenance")
        if provenance:
            if provenance not in Provenance.values:
                raise exceptions.ValidationError({"provenance": [f"One of {', '.join(Provenance.values)}."]})
            edges = edges.filter(provenance=provenance)
        return edges

    @extend_schema(
        parameters=[
            OpenApiParameter("asset", str, description="Only edges touching this asset."),
            OpenApiParameter("provenance", str, enum=Provenance.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create_object(self, *, data):
        columns = [
            (c["source_column"], c["target_column"], c.get("transformation", ""))
            for c in data.get("columns", [])
        ]
        try:
            return services.edge_draw(
                source=data["source"],
                target=data["target"],
                by=self.request.user,
                transformation=data.get("transformation", ""),
                description=data.get("description", ""),
                columns=columns,
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_errors(error)) from None

    def update_object(self, *, instance, data):
        try:
            return services.edge_update(
                edge=instance,
                by=self.request.user,
                transformation=data.get("transformation"),
                description=data.get("description"),
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_errors(error)) from None

    def delete_object(self, *, instance) -> None:
        try:
            services.edge_delete(edge=instance, by=self.request.user)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_errors(error)) from None


def _errors(error: DjangoValidationError):
    return error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}

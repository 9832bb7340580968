"""POST /api/v1/lineage: the OpenLineage HTTP endpoint (what the HTTP transport and Marquez use).

A personal access token as bearer (401 without one); gzip bodies accepted
(`Content-Encoding: gzip`); the event is validated, stored once and answered
at once (201, or 200 for a retry of an event already stored); a job maps it
onto the catalog. `?team=<slug>` picks the team that owns new datasets.
"""

from __future__ import annotations

import json
import zlib

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.openlineage.services import openlineage_event_receive, openlineage_team_for
from apps.catalog.openlineage.validation import EventInvalid
from apps.core.api.exceptions import PayloadTooLarge
from apps.teams.authentication import BearerTokenAuthentication


def _invalid(message: str, fields: dict | None = None, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    body = {"error": "invalid", "detail": message}
    if fields:
        body["fields"] = fields
    return Response(body, status=code)


def _decoded(request) -> bytes:
    """The request body, gunzipped when sent with Content-Encoding: gzip (size-capped either way)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = request.body
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise EventInvalid(f"Unsupported Content-Encoding {encoding[:40]!r}; send gzip or nothing.")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise EventInvalid("The body is not valid gzip.") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge()
    return data


class OpenLineageReceiverView(APIView):
    """Receive one OpenLineage event (RunEvent, DatasetEvent or JobEvent)."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes: list = []  # the raw body is read (and gunzipped) here

    @extend_schema(
        tags=["openlineage"],
        operation_id="openlineage_receive",
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("team", str, description="Slug of the team that owns new datasets.")],
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="Stored; a job maps it onto the catalog."),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The same event was already stored."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Not an OpenLineage event."),
        },
    )
    def post(self, request):
        try:
            raw = _decoded(request)
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, ValueError) as error:
                raise EventInvalid(f"The body is not valid JSON: {str(error)[:200]}") from None
            team = openlineage_team_for(user=request.user, slug=request.query_params.get("team"))
            event, created = openlineage_event_receive(body=body, user=request.user, team=team)
        except EventInvalid as invalid:
            return _invalid(invalid.message, invalid.fields)
        return Response(
            {"status": "accepted" if created else "duplicate", "event": event.body_hash},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

"""Access requests over REST: list and read through `restrict`; ask, approve, deny, revoke, withdraw."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.catalog.models import AccessRequest, Dataset
from apps.catalog.selectors import access as selectors
from apps.catalog.services import access as services
from apps.core.api.viewsets import RestrictedViewSetMixin
from apps.core.history import acting_user
from apps.core.permissions import Action


class VisibleDatasetField(serializers.PrimaryKeyRelatedField):
    """A dataset id among those the user may see (unknown and invisible read the same)."""

    default_error_messages = {"does_not_exist": "No dataset you can see has the id {pk_value}."}

    def get_queryset(self):
        return Dataset.objects.restrict(self.context["request"].user, Action.VIEW)


class AccessRequestSerializer(serializers.ModelSerializer):
    """An access request; the dataset's name only when the reader may see the dataset."""

    url = serializers.HyperlinkedIdentityField(view_name="access-request-detail")
    dataset = VisibleDatasetField()
    dataset_name = serializers.SerializerMethodField()
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    columns = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
    duration_days = serializers.IntegerField(
        min_value=services.MIN_DAYS, max_value=services.MAX_DAYS, default=30
    )
    for_asset = serializers.CharField(
        required=False, allow_blank=True, write_only=True, help_text='What it is for, as "app.model:id".'
    )

    class Meta:
        model = AccessRequest
        fields = [
            "id", "url", "dataset", "dataset_name", "requester", "purpose", "columns", "duration_days",
            "for_asset", "status", "decided_by", "decided_at", "decision_note", "expires_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["status", "decided_at", "decision_note", "expires_at"]

    def get_dataset_name(self, access_request: AccessRequest) -> str | None:
        visible = getattr(access_request, "dataset_visible", None)
        return access_request.dataset.name if visible else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "dataset_visible", False):
            data["dataset"] = instance.dataset_id
        return data

    def validate_for_asset(self, value: str):
        if not value:
            return None
        asset = selectors.access_for_asset_resolve(user=self.context["request"].user, value=value)
        if asset is None:
            raise serializers.ValidationError("No asset you can see matches this reference.")
        return asset


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AccessRequestViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Requests the user may see: their own, and those on their team's or stewarded datasets.

    `?scope=queue` lists the pending requests the user may decide.
    """

    queryset = AccessRequest.objects.select_related(*selectors.LIST_RELATED)
    serializer_class = AccessRequestSerializer
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at"]
    search_fields: list[str] = []
    filterset_fields = ["status"]
    # Asking needs only a dataset one can see; decisions need `approve`; withdrawing is the requester's.
    action_permissions = {
        "create": Action.VIEW,
        "approve": Action.APPROVE,
        "deny": Action.APPROVE,
        "revoke": Action.APPROVE,
        "withdraw": Action.VIEW,
    }

    def base_queryset(self):
        return self.queryset.all()

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        if self.request.query_params.get("scope") == "queue":
            queryset = queryset.restrict(self.request.user, Action.APPROVE).filter(status="pending")
        return selectors._with_dataset_visible(queryset, self.request.user)

    def get_object(self):
        obj = super().get_object()
        return selectors.access_request_get(user=self.request.user, pk=obj.pk)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            with acting_user(self.request.user):
                created = services.access_request_create(
                    dataset=data["dataset"],
                    requester=self.request.user,
                    purpose=data.get("purpose", ""),
                    duration_days=data.get("duration_days", 30),
                    columns=data.get("columns") or [],
                    for_asset=data.get("for_asset"),
                )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            ) from None
        serializer.instance = selectors.access_request_get(user=self.request.user, pk=created.pk)

    def _act(self, request, operation):
        access_request = self.get_object()
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        kwargs = {"access_request": access_request, "by": request.user}
        if operation != "withdraw":
            kwargs["note"] = note.validated_data.get("note", "")
        try:
            result = getattr(services, f"access_request_{operation}")(**kwargs)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"non_field_errors": error.messages}) from None
        fresh = selectors.access_request_get(user=request.user, pk=result.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_200_OK)

    def user_may(self, obj, action):
        # Withdrawal is decided by the service (requester only); decisions by `approve`.
        if action == Action.VIEW:
            return True
        return super().user_may(obj, action)

    @extend_schema(request=DecisionSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, "approve")

    @extend_schema(request=DecisionSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        return self._act(request, "deny")

    @extend_schema(request=DecisionSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._act(request, "revoke")

    @extend_schema(request=None, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, "withdraw")

"""Cross-team cases for catalog routes added after the foundation (one section per area)."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

# --- access requests -------------------------------------------------------------------
PRIVATE_PURPOSE = "Due diligence for the Northwind acquisition"


def alice_access_request(world):
    """alice's pending request on Fraud's private dataset: bob is neither requester nor approver."""
    from apps.catalog.models import AccessRequest

    dataset = world.private_dataset
    found = AccessRequest.objects.filter(dataset=dataset, purpose=PRIVATE_PURPOSE).first()
    if found is None:
        from apps.core.history import acting_user

        with acting_user(world.alice):
            found = AccessRequest.objects.create(
                dataset=dataset, requester=world.alice, purpose=PRIVATE_PURPOSE, duration_days=30
            )
    return found


@private_asset("access_request")
def private_access_request_asset(world) -> list[str]:
    alice_access_request(world)
    return [PRIVATE_PURPOSE]


@matrix_case("catalog:dataset_access")
def dataset_access_tab(world):
    dataset = world.private_dataset
    return Private(kwargs={"pk": dataset.pk}, obj=dataset)


@matrix_case("catalog:access_request_list")
def access_request_list(world):
    return Listing(queries=[{}, {"scope": "queue"}, {"scope": "mine"}])


@matrix_case("catalog:access_request_create")
def access_request_form(world):
    return Listing()


@matrix_case("catalog:access_request_create")
def access_request_by_reference(world):
    # The same answer whether the private dataset exists or not (the request is recorded only if it does).
    data = {"dataset": str(world.private_dataset.pk), "purpose": "Reconciliation", "duration_days": "30"}
    return Listing(method="POST", data=data, status=302)


@matrix_case(
    "catalog:access_request_detail",
    "catalog:access_request_history",
    "catalog:access_request_approve",
    "catalog:access_request_deny",
    "catalog:access_request_revoke",
    "catalog:access_request_withdraw",
)
def alices_access_request(world):
    access_request = alice_access_request(world)
    return Private(kwargs={"pk": access_request.pk}, obj=access_request)


@matrix_case("catalog:access_request_approve", "catalog:access_request_deny", "catalog:access_request_revoke")
def bobs_own_decided_request(world):
    # Bob sees his own denied request but may not decide on it: refused, unchanged.
    from apps.catalog.models import AccessRequest
    from apps.core.history import acting_user

    with acting_user(world.bob):
        access_request = AccessRequest.objects.create(
            dataset=world.private_dataset,
            requester=world.bob,
            purpose="Mine",
            duration_days=5,
            status="denied",
        )
    return Refused(kwargs={"pk": access_request.pk}, obj=access_request, methods=("POST",))

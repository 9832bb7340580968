"""Access requests: ask, approve or deny, withdraw, expire — with grants, history and notifications."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.catalog.jobs_access import KIND, access_expiry_enqueue_if_due
from apps.catalog.models import AccessRequest, Column, Dataset
from apps.catalog.services import access as services
from apps.community.models import Notification
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def bob_sees(dataset) -> bool:
    from django.contrib.auth import get_user_model

    bob = get_user_model().objects.get(username="bob")
    return Dataset.objects.restrict(bob).filter(pk=dataset.pk).exists()


@pytest.fixture
def columns(private_dataset):
    for position, name in enumerate(["card_token", "amount", "is_fraud"]):
        Column.objects.create(dataset=private_dataset, name=name, position=position, data_type="text")
    return private_dataset


def ask(client, target, **data):
    payload = {"dataset": str(target.pk), "purpose": "Train the chargeback model", "duration_days": "30"}
    payload.update(data)
    return client.post(reverse("catalog:access_request_create"), payload)


# --- the whole workflow -------------------------------------------------------------


def test_bob_asks_olivia_approves_bob_sees_it_and_the_expiry_job_takes_it_back(
    client, alice, olivia, bob, columns, django_capture_on_commit_callbacks
):
    dataset = columns
    web = client_for(client, bob)
    assert web.get(dataset.get_absolute_url()).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(web, dataset, columns_text="amount, is_fraud, nope")
    assert response.status_code == 302
    access_request = AccessRequest.objects.get()
    assert access_request.requester == bob and access_request.status == "pending"
    assert access_request.columns == ["amount", "is_fraud"]
    # Olivia (data officer) is told; alice (data scientist, no `approve`) is not.
    told = Notification.objects.filter(event="catalog.access_requested")
    assert [n.recipient.username for n in told] == ["olivia"]

    olivia_web = client_for(type(client)(), olivia)
    queue = olivia_web.get(reverse("catalog:access_request_list"))
    assert list(queue.context["queue"]) == [access_request]
    with django_capture_on_commit_callbacks(execute=True):
        response = olivia_web.post(
            reverse("catalog:access_request_approve", args=[access_request.pk]), {"note": "For Q3 only"}
        )
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "approved" and access_request.decided_by == olivia
    assert access_request.expires_at > timezone.now() + timedelta(days=29)
    assert Dataset.user_grant_model.objects.filter(user=bob, content_object=dataset).exists()
    assert web.get(dataset.get_absolute_url()).status_code == 200
    decided = Notification.objects.get(event="catalog.access_decided")
    assert decided.recipient == bob and "Card transactions" in decided.message

    # Time passes: beat sees a due grant and starts the job, which revokes it.
    AccessRequest.objects.filter(pk=access_request.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    job_id = access_expiry_enqueue_if_due()
    assert Job.objects.get(pk=job_id).kind == KIND
    assert access_expiry_enqueue_if_due() is None  # one waiting job is enough
    assert job_run(job_id=job_id) == "succeeded"
    assert Job.objects.get(pk=job_id).result == {"expired": 1}
    access_request.refresh_from_db()
    assert access_request.status == "expired"
    assert not Dataset.user_grant_model.objects.filter(user=bob, content_object=dataset).exists()
    assert web.get(dataset.get_absolute_url()).status_code == 404
    expired = Notification.objects.get(event="catalog.access_expired")
    assert expired.recipient == bob and "Card transactions" in expired.message

    # Every step is in the request's history, attributed.
    steps = [
        (r.status, r.history_user.username if r.history_user else None)
        for r in access_request.history.order_by("history_date")
    ]
    assert steps == [("pending", "bob"), ("approved", "olivia"), ("expired", None)]


def test_the_answer_by_reference_is_the_same_whether_the_dataset_exists_or_not(
    client, bob, olivia, private_dataset
):
    web = client_for(client, bob)
    existing = ask(web, private_dataset)
    missing = ask(web, Dataset(pk=private_dataset.pk + 1000))
    assert existing.status_code == missing.status_code == 302
    assert (
        existing["Location"] == missing["Location"] == reverse("catalog:access_request_list") + "?scope=mine"
    )
    page = web.get(existing["Location"]).content.decode()
    assert "If this dataset exists" in page
    assert AccessRequest.objects.count() == 1  # recorded only for the real one
    # Bob cannot tell from his own list either: a pending request on an invisible dataset is hidden.
    listing = web.get(reverse("catalog:access_request_list") + "?scope=mine")
    assert list(listing.context["mine"]) == []
    assert "Card transactions" not in listing.content.decode()
    request = AccessRequest.objects.get()
    assert web.get(reverse("catalog:access_request_detail", args=[request.pk])).status_code == 404


def test_a_denied_requester_sees_the_decision_but_not_the_dataset_name(client, bob, olivia, private_dataset):
    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Join with merchants", duration_days=7
    )
    services.access_request_deny(access_request=access_request, by=olivia, note="Use the aggregate instead")
    web = client_for(client, bob)
    page = web.get(reverse("catalog:access_request_detail", args=[access_request.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Use the aggregate instead" in body
    assert "Card transactions" not in body
    history = web.get(reverse("catalog:access_request_history", args=[access_request.pk])).content.decode()
    assert "Card transactions" not in history
    note = Notification.objects.get(recipient=bob)
    assert "Card transactions" not in note.message and f"#{private_dataset.pk}" in note.message


def test_deciding_needs_approve_403_for_those_who_see_the_request_404_for_others(
    client, alice, ann, bob, olivia, make_user, platform_team, private_dataset
):
    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Reconcile", duration_days=7
    )
    url = reverse("catalog:access_request_approve", args=[access_request.pk])
    assert client_for(client, alice).post(url).status_code == 403  # sees it (team member), may not decide
    assert client_for(type(client)(), ann).post(url).status_code == 403
    assert client_for(type(client)(), bob).post(url).status_code == 404  # cannot see his pending request
    carol = make_user("carol")
    assert client_for(type(client)(), carol).post(url).status_code == 404
    access_request.refresh_from_db()
    assert access_request.status == "pending"
    with pytest.raises(PermissionDenied):
        services.access_request_approve(access_request=access_request, by=alice)


def test_the_steward_decides_even_outside_the_team(make_user, bob, private_dataset):
    steward = make_user("stewie")
    Dataset.objects.filter(pk=private_dataset.pk).update(steward=steward)
    private_dataset.refresh_from_db()
    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Audit", duration_days=3
    )
    assert Notification.objects.filter(recipient=steward, event="catalog.access_requested").exists()
    services.access_request_approve(access_request=access_request, by=steward)
    assert bob_sees(private_dataset)


def test_the_requester_withdraws_a_pending_request_on_a_visible_dataset(
    client, bob, olivia, internal_dataset
):
    web = client_for(client, bob)
    response = web.post(
        reverse("catalog:dataset_access", args=[internal_dataset.pk]),
        {"purpose": "Look at merchant risk tiers", "duration_days": "14"},
    )
    access_request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == access_request.get_absolute_url()
    assert web.post(reverse("catalog:access_request_withdraw", args=[access_request.pk])).status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "withdrawn"
    # Withdrawn cannot be approved any more: a clear message, no change.
    olivia_web = client_for(type(client)(), olivia)
    response = olivia_web.post(
        reverse("catalog:access_request_approve", args=[access_request.pk]), follow=True
    )
    assert "already withdrawn" in response.content.decode()
    assert not Dataset.user_grant_model.objects.filter(user=bob).exists()


def test_bad_input_gets_field_errors_and_records_nothing(client, bob, internal_dataset):
    web = client_for(client, bob)
    url = reverse("catalog:dataset_access", args=[internal_dataset.pk])
    response = web.post(url, {"purpose": "  ", "duration_days": "400", "for_asset": "teams.team:1"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"purpose", "duration_days", "for_asset"}
    response = ask(web, internal_dataset, dataset="not a dataset", duration_days="0")
    assert set(response.context["form"].errors) == {"dataset", "duration_days"}
    assert AccessRequest.objects.count() == 0


def test_a_request_may_name_a_visible_asset_it_is_for(bob, olivia, private_dataset, internal_dataset):
    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Feature", duration_days=5, for_asset=internal_dataset
    )
    assert access_request.for_asset == internal_dataset
    with pytest.raises(ValidationError):
        services.access_request_create(
            dataset=internal_dataset, requester=bob, purpose="x", duration_days=5, for_asset=private_dataset
        )


def test_a_second_pending_request_is_refused(bob, private_dataset):
    services.access_request_create(dataset=private_dataset, requester=bob, purpose="A", duration_days=5)
    with pytest.raises(ValidationError):
        services.access_request_create(dataset=private_dataset, requester=bob, purpose="B", duration_days=5)


def test_an_expiry_keeps_the_grant_while_another_approved_request_covers_it(bob, olivia, internal_dataset):
    first = services.access_request_create(
        dataset=internal_dataset, requester=bob, purpose="A", duration_days=5
    )
    services.access_request_approve(access_request=first, by=olivia)
    second = services.access_request_create(
        dataset=internal_dataset, requester=bob, purpose="B", duration_days=60
    )
    services.access_request_approve(access_request=second, by=olivia)
    AccessRequest.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.access_requests_expire() == {"expired": 1}
    assert services.dataset_has_row_access(user=bob, dataset=internal_dataset)


def test_emails_go_out_by_the_job_once(bob, olivia, private_dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_create(dataset=private_dataset, requester=bob, purpose="A", duration_days=5)
    job = Job.objects.get(kind="community.send_notification_emails")
    assert job_run(job_id=job.pk) == "succeeded"
    assert [m.to for m in mail.outbox] == [["olivia@example.org"]]
    assert "Card transactions" in mail.outbox[0].subject
    from apps.community.services import notification_emails_send

    notification_emails_send(notification_ids=job.params["notification_ids"])
    assert len(mail.outbox) == 1


def test_the_queue_runs_a_fixed_number_of_queries(
    client, olivia, bob, make_user, platform_team, fraud_team, django_assert_num_queries
):
    from apps.catalog.services import dataset_create

    web = client_for(client, olivia)
    url = reverse("catalog:access_request_list")

    def add(count):
        for index in range(count):
            dataset = dataset_create(
                team=fraud_team, by=olivia, name=f"Set {Dataset.objects.count()}-{index}"
            )
            services.access_request_create(dataset=dataset, requester=bob, purpose="p", duration_days=1)

    add(1)
    web.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        web.get(url)
    add(5)
    with django_assert_num_queries(len(captured)):
        response = web.get(url)
    assert len(response.context["queue"]) == 6


# --- API --------------------------------------------------------------------------------


def api_for(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_asks_decides_and_hides_what_it_must(bob, olivia, alice, private_dataset, internal_dataset):
    bob_api = api_for(bob)
    invisible = bob_api.post(
        "/api/v1/access-requests/", {"dataset": private_dataset.pk, "purpose": "x"}, format="json"
    )
    missing = bob_api.post("/api/v1/access-requests/", {"dataset": 999999, "purpose": "x"}, format="json")
    assert invisible.status_code == missing.status_code == 400
    assert AccessRequest.objects.count() == 0
    created = bob_api.post(
        "/api/v1/access-requests/",
        {"dataset": internal_dataset.pk, "purpose": "Risk tiers", "duration_days": 10, "columns": ["nope"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending" and body["dataset_name"] == "Merchant list" and body["columns"] == []
    pk = body["id"]
    assert api_for(alice).post(f"/api/v1/access-requests/{pk}/approve/").status_code == 403
    assert bob_api.post(f"/api/v1/access-requests/{pk}/approve/").status_code == 403
    queue = api_for(olivia).get("/api/v1/access-requests/?scope=queue").json()
    assert [row["id"] for row in queue["results"]] == [pk]
    approved = api_for(olivia).post(f"/api/v1/access-requests/{pk}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api_for(olivia).post(f"/api/v1/access-requests/{pk}/approve/")
    assert again.status_code == 400
    assert api_for(olivia).post(f"/api/v1/access-requests/{pk}/revoke/").json()["status"] == "revoked"
    assert not services.dataset_has_row_access(user=bob, dataset=internal_dataset)


def test_the_api_list_runs_a_fixed_number_of_queries(bob, olivia, fraud_team, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.catalog.services import dataset_create

    def add(start, count):
        for index in range(start, start + count):
            dataset = dataset_create(
                team=fraud_team, by=olivia, name=f"API set {index}", visibility="internal"
            )
            services.access_request_create(dataset=dataset, requester=bob, purpose="p", duration_days=1)

    add(0, 1)
    api = api_for(bob)
    api.get("/api/v1/access-requests/")
    with CaptureQueriesContext(connection) as captured:
        api.get("/api/v1/access-requests/")
    add(1, 5)
    with django_assert_num_queries(len(captured)):
        assert api.get("/api/v1/access-requests/").json()["count"] == 6


# --- admin site -------------------------------------------------------------------------


def test_a_data_officer_approves_from_the_admin_and_another_teams_officer_sees_nothing(
    client, bob, olivia, make_user, platform_team, private_dataset
):
    from apps.teams.services import membership_set

    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Audit sample", duration_days=3
    )
    changelist = reverse("admin:catalog_accessrequest_changelist")
    web = client_for(client, olivia)
    assert access_request in web.get(changelist).context["cl"].result_list
    response = web.post(changelist, {"action": "approve_selected", "_selected_action": [access_request.pk]})
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "approved" and access_request.decided_by == olivia
    assert services.dataset_has_row_access(user=bob, dataset=private_dataset)
    # The admin never edits a request directly: status changes go through the services.
    change = reverse("admin:catalog_accessrequest_change", args=[access_request.pk])
    web.post(change, {"status": "pending"})
    access_request.refresh_from_db()
    assert access_request.status == "approved"

    pam = make_user("pam", is_staff=True)
    membership_set(team=platform_team, user=pam, role="data_officer", by=olivia)
    other = client_for(type(client)(), pam)
    assert list(other.get(changelist).context["cl"].result_list) == []
    assert other.get(change).status_code in {302, 404}


def test_the_dataset_header_shows_a_temporary_reader_when_their_access_ends(
    client, bob, olivia, private_dataset
):
    access_request = services.access_request_create(
        dataset=private_dataset, requester=bob, purpose="Reconcile Q3 chargebacks", duration_days=7
    )
    services.access_request_approve(access_request=access_request, by=olivia)
    access_request.refresh_from_db()

    page = client_for(client, bob).get(private_dataset.get_absolute_url())
    assert page.status_code == 200
    badge = page.content.decode()
    assert 'id="temporary-access"' in badge
    assert f"Your access ends {access_request.expires_at:%Y-%m-%d}" in badge
    assert access_request.get_absolute_url() in badge
    # The owning team reads it by right: no badge for them.
    assert (
        'id="temporary-access"'
        not in client_for(client, olivia).get(private_dataset.get_absolute_url()).content.decode()
    )

    services.access_request_revoke(access_request=access_request, by=olivia)
    assert client_for(client, bob).get(private_dataset.get_absolute_url()).status_code == 404

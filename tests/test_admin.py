"""The data-officer admin: scoped to the officer's teams, with history and revert."""

import pytest
from django.urls import reverse

from apps.catalog.models import Dataset
from apps.core.history import acting_user
from apps.jobs.models import Job
from apps.teams.models import Membership, PersonalAccessToken
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_dataset(platform_team, bob):
    with acting_user(bob):
        return Dataset.objects.create(
            team=platform_team, name="Warehouse events", slug="warehouse-events", visibility="private"
        )


@pytest.fixture
def officer_client(client, olivia):
    client.force_login(olivia)
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def test_the_officer_sees_her_teams_datasets_and_not_another_teams(
    officer_client, private_dataset, platform_dataset
):
    response = officer_client.get(admin_url("catalog_dataset_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert private_dataset.name in body
    assert platform_dataset.name not in body


def test_the_officer_needs_no_global_permission_to_see_her_models_on_the_index(officer_client, olivia):
    assert not olivia.user_permissions.exists()
    response = officer_client.get(admin_url("index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert admin_url("catalog_dataset_changelist") in body
    assert admin_url("teams_membership_changelist") in body
    assert admin_url("jobs_job_changelist") in body
    # Tokens are personal: only a superuser reaches them.
    assert admin_url("teams_personalaccesstoken_changelist") not in body


def test_another_teams_change_page_is_not_found(officer_client, platform_dataset):
    response = officer_client.get(admin_url("catalog_dataset_change", platform_dataset.pk))
    # Django's admin answers an object outside get_queryset with a redirect and "does not exist".
    assert response.status_code == 302
    assert response.url == admin_url("index")
    followed = officer_client.get(response.url)
    assert platform_dataset.name not in followed.content.decode()


def test_another_teams_delete_page_is_not_found(officer_client, platform_dataset):
    response = officer_client.post(admin_url("catalog_dataset_delete", platform_dataset.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Dataset.objects.filter(pk=platform_dataset.pk).exists()


def test_another_teams_history_and_revert_pages_are_404(officer_client, platform_dataset):
    record = platform_dataset.history.first()
    assert officer_client.get(admin_url("catalog_dataset_history", platform_dataset.pk)).status_code == 404
    revert_url = admin_url("catalog_dataset_simple_history", platform_dataset.pk, record.history_id)
    assert officer_client.get(revert_url).status_code == 404
    response = officer_client.post(revert_url, {"name": "Stolen", "visibility": "internal", "domain": ""})
    assert response.status_code == 404
    platform_dataset.refresh_from_db()
    assert platform_dataset.name == "Warehouse events"


def test_a_deleted_dataset_of_another_team_keeps_its_history_hidden(officer_client, platform_dataset, bob):
    pk = platform_dataset.pk
    with acting_user(bob):
        platform_dataset.delete()
    assert officer_client.get(admin_url("catalog_dataset_history", pk)).status_code == 404


def test_a_malformed_id_on_the_history_page_is_404(officer_client):
    assert officer_client.get("/admin/catalog/dataset/not-a-number/history/").status_code == 404


def test_the_officer_edits_a_dataset_and_history_names_her(officer_client, olivia, private_dataset):
    url = admin_url("catalog_dataset_change", private_dataset.pk)
    response = officer_client.post(
        url,
        {"name": "Card transactions (EU)", "visibility": "private", "domain": "payments", "description": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    private_dataset.refresh_from_db()
    assert private_dataset.name == "Card transactions (EU)"
    latest = private_dataset.history.first()
    assert latest.history_user == olivia
    history_page = officer_client.get(admin_url("catalog_dataset_history", private_dataset.pk))
    assert history_page.status_code == 200
    assert "olivia" in history_page.content.decode()


def test_the_officer_reverts_a_dataset_to_an_earlier_version(officer_client, olivia, private_dataset):
    original = private_dataset.history.earliest("history_date")
    officer_client.post(
        admin_url("catalog_dataset_change", private_dataset.pk),
        {"name": "Renamed", "visibility": "internal", "domain": "", "description": ""},
    )
    revert_url = admin_url("catalog_dataset_simple_history", private_dataset.pk, original.history_id)
    form_page = officer_client.get(revert_url)
    assert form_page.status_code == 200
    assert "Card transactions" in form_page.content.decode()

    response = officer_client.post(
        revert_url, {"name": "Card transactions", "visibility": "private", "domain": "", "description": ""}
    )
    assert response.status_code == 302
    private_dataset.refresh_from_db()
    assert (private_dataset.name, private_dataset.visibility) == ("Card transactions", "private")
    assert private_dataset.history.first().history_user == olivia


def test_the_officer_may_only_create_datasets_for_her_teams(officer_client, fraud_team, platform_team):
    add_url = admin_url("catalog_dataset_add")
    form_page = officer_client.get(add_url)
    assert form_page.status_code == 200
    body = form_page.content.decode()
    assert "Fraud Analytics" in body
    assert "Data Platform" not in body

    refused = officer_client.post(
        add_url, {"name": "Sneaky", "team": platform_team.pk, "visibility": "private"}
    )
    assert refused.status_code == 200  # the form again, with an error on the team
    assert not Dataset.objects.filter(name="Sneaky").exists()

    created = officer_client.post(
        add_url, {"name": "Chargebacks", "team": fraud_team.pk, "visibility": "private"}
    )
    assert created.status_code == 302
    dataset = Dataset.objects.get(name="Chargebacks")
    assert (dataset.team, dataset.slug) == (fraud_team, "chargebacks")


def test_the_officer_edits_her_team_but_cannot_create_or_delete_teams(
    officer_client, fraud_team, platform_team
):
    assert officer_client.get(admin_url("teams_team_change", fraud_team.pk)).status_code == 200
    assert officer_client.get(admin_url("teams_team_change", platform_team.pk)).status_code == 302
    assert officer_client.get(admin_url("teams_team_add")).status_code == 403
    assert officer_client.get(admin_url("teams_team_delete", fraud_team.pk)).status_code == 403


def test_the_officer_adds_a_member_through_the_team_inline(officer_client, olivia, fraud_team, make_user):
    carol = make_user("carol")
    memberships = list(Membership.objects.filter(team=fraud_team).order_by("pk"))
    data = {
        "name": fraud_team.name,
        "kind": fraud_team.kind,
        "description": "",
        "memberships-TOTAL_FORMS": str(len(memberships) + 1),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, membership in enumerate(memberships):
        data[f"memberships-{index}-id"] = str(membership.pk)
        data[f"memberships-{index}-team"] = str(fraud_team.pk)
        data[f"memberships-{index}-user"] = str(membership.user_id)
        data[f"memberships-{index}-role"] = membership.role
    new = len(memberships)
    data[f"memberships-{new}-team"] = str(fraud_team.pk)
    data[f"memberships-{new}-user"] = str(carol.pk)
    data[f"memberships-{new}-role"] = "analyst"
    response = officer_client.post(admin_url("teams_team_change", fraud_team.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    membership = Membership.objects.get(team=fraud_team, user=carol)
    assert membership.role == "analyst"
    assert membership.history.first().history_user == olivia
    assert carol.groups.filter(pk=fraud_team.group_id).exists()  # the service also joined the group


def test_the_officer_sees_only_her_teams_memberships(officer_client, bob, alice):
    body = officer_client.get(admin_url("teams_membership_changelist")).content.decode()
    assert "alice" in body
    assert "bob" not in body


def test_the_officer_sees_her_teams_jobs_read_only(officer_client, fraud_team, platform_team, alice, bob):
    fraud_job = Job.objects.create(kind="profile", team=fraud_team, requester=alice)
    platform_job = Job.objects.create(kind="train", team=platform_team, requester=bob)
    body = officer_client.get(admin_url("jobs_job_changelist")).content.decode()
    assert admin_url("jobs_job_change", fraud_job.pk) in body
    assert admin_url("jobs_job_change", platform_job.pk) not in body
    detail = officer_client.get(admin_url("jobs_job_change", fraud_job.pk))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only
    assert officer_client.get(admin_url("jobs_job_change", platform_job.pk)).status_code == 302
    assert officer_client.get(admin_url("jobs_job_history", platform_job.pk)).status_code == 404


def test_a_view_only_officer_cannot_revert_a_job_by_posting_the_history_form(
    officer_client, fraud_team, alice
):
    job = Job.objects.create(kind="profile", team=fraud_team, requester=alice)
    first = job.history.first()
    job.status = "succeeded"
    job.save()
    url = admin_url("jobs_job_simple_history", job.pk, first.history_id)
    assert officer_client.post(url, {}).status_code == 403
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_tokens_are_for_superusers_only_and_never_show_the_digest(client, olivia, root, alice):
    token, raw = token_issue(user=alice, name="laptop")
    client.force_login(olivia)
    assert client.get(admin_url("teams_personalaccesstoken_changelist")).status_code == 403
    assert client.get(admin_url("teams_personalaccesstoken_change", token.pk)).status_code in {302, 403}
    client.force_login(root)
    listing = client.get(admin_url("teams_personalaccesstoken_changelist"))
    assert listing.status_code == 200
    page = client.get(admin_url("teams_personalaccesstoken_change", token.pk)).content.decode()
    assert "laptop" in page
    assert token.digest not in page
    assert raw not in page
    assert client.get(admin_url("teams_personalaccesstoken_add")).status_code == 403


def test_the_superuser_revokes_a_token_from_the_list(client, root, alice):
    token, _ = token_issue(user=alice, name="laptop")
    client.force_login(root)
    response = client.post(
        admin_url("teams_personalaccesstoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert PersonalAccessToken.objects.usable().filter(pk=token.pk).count() == 0


def test_root_sees_every_teams_objects(client, root, private_dataset, platform_dataset):
    client.force_login(root)
    body = client.get(admin_url("catalog_dataset_changelist")).content.decode()
    assert private_dataset.name in body
    assert platform_dataset.name in body
    assert client.get(admin_url("catalog_dataset_history", platform_dataset.pk)).status_code == 200


def test_a_staff_user_with_no_officer_role_sees_nothing_to_edit(client, make_user, private_dataset):
    staff = make_user("sam", is_staff=True)
    client.force_login(staff)
    index = client.get(admin_url("index"))
    assert index.status_code == 200
    assert admin_url("catalog_dataset_changelist") not in index.content.decode()
    assert client.get(admin_url("catalog_dataset_changelist")).status_code == 403
    assert client.get(admin_url("catalog_dataset_history", private_dataset.pk)).status_code == 404


def test_a_member_who_is_not_staff_is_sent_to_the_login_page(client, alice, private_dataset):
    client.force_login(alice)
    for url in (admin_url("index"), admin_url("catalog_dataset_change", private_dataset.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response.url


def test_the_dataset_changelist_runs_a_fixed_number_of_queries(
    officer_client, fraud_team, alice, django_assert_num_queries
):
    with acting_user(alice):
        for index in range(30):
            Dataset.objects.create(team=fraud_team, name=f"Set {index}", slug=f"set-{index}")
    # session, user, officer's teams, teams for the team filter, count (filtered and total),
    # the user's global permissions x2 (the admin's page context), one page of rows with their teams.
    with django_assert_num_queries(9):
        response = officer_client.get(admin_url("catalog_dataset_changelist"))
    assert response.status_code == 200

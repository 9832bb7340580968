"""Forms for the team pages: adding a member, changing a role."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from apps.core.permissions import Role
from apps.teams.models import Membership, Team


class MemberAddForm(forms.Form):
    """Add a person to a team by username, with one role."""

    username = forms.CharField(max_length=150, help_text="The person's Atrium username.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DATA_SCIENTIST)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"Nobody is called “{username}” here. Check the spelling.")
        if Membership.objects.filter(team=self.team, user=user).exists():
            raise forms.ValidationError(
                f"{user.get_username()} is already in {self.team.name}; change their role below."
            )
        self.cleaned_data["user"] = user
        return username


def _would_leave_no_officer(membership: Membership) -> bool:
    if membership.role != Role.DATA_OFFICER:
        return False
    return (
        not Membership.objects.filter(team_id=membership.team_id, role=Role.DATA_OFFICER)
        .exclude(pk=membership.pk)
        .exists()
    )


class MemberRoleForm(forms.Form):
    """Change one member's role; a team keeps at least one data officer."""

    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role != Role.DATA_OFFICER and _would_leave_no_officer(self.membership):
            raise forms.ValidationError(
                "A team needs at least one data officer; make someone else one first."
            )
        return role


def member_removal_error(membership: Membership) -> str | None:
    """Why this membership may not be removed, or None."""
    if _would_leave_no_officer(membership):
        return "A team needs at least one data officer; make someone else one before removing the last."
    return None

"""Issue a personal access token for a user; the token alone is the last line on stdout."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.teams.services import token_issue


class Command(BaseCommand):
    help = "Issue a personal access token for USERNAME. The last line of output is the token alone."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help="A label for the token (default: 'issued by command')."
        )
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Expire after N days (default: never)."
        )

    def handle(self, *args, username: str, name: str, expires_days: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create it first, e.g. with createsuperuser.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; a token for them would be refused.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, raw = token_issue(user=user, name=name or "issued by command", expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        expiry = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ", never expires"
        self.stdout.write(
            f"Token {token.name!r} for {user.username}{expiry}. Send it as 'Authorization: Bearer <token>'; "
            "it will not be shown again:"
        )
        self.stdout.write(raw)

"""`manage.py seed_demo`: build the demo organisation; running it again changes nothing."""

from django.core.management.base import BaseCommand

from apps.demo.data import DEMO_PASSWORD
from apps.demo.services import demo_seed


class Command(BaseCommand):
    help = "Create demo teams, people in every role and datasets (idempotent; local use only)."

    def handle(self, *args, **options):
        created = demo_seed()
        if not created:
            self.stdout.write("Demo data already present; nothing changed.")
            return
        summary = ", ".join(f"{count} {what}" for what, count in sorted(created.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo data created: {summary}."))
        self.stdout.write(
            f"Every demo account signs in with the password {DEMO_PASSWORD!r} (local use only)."
        )

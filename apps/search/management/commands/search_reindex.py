"""manage.py search_reindex [--type catalog.dataset …] [--batch-size N]: rebuild the search index in bulk."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from apps.core.assets import search_types
from apps.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the search index of every registered asset type (or the given ones), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--type", action="append", dest="types", default=[], help="e.g. catalog.dataset")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, types, batch_size, **options):
        known = {registered.model._meta.label_lower for registered in search_types()}
        unknown = sorted(set(types) - known)
        if unknown:
            raise CommandError(
                f"Unknown type {', '.join(unknown)}; searchable types: {', '.join(sorted(known))}."
            )
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.perf_counter()
        counts = search_reindex(labels=types or None, batch_size=batch_size)
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} documents")
        self.stdout.write(
            f"Indexed {sum(counts.values())} documents in {time.perf_counter() - started:.1f} s."
        )

"""Every model change ships with its migration (what `makemigrations --check` says in review)."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_every_model_change_has_a_migration():
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit:  # --check exits 1 when a migration is missing
        pytest.fail(f"Missing migrations (run manage.py makemigrations):\n{output.getvalue()}")
    assert "No changes detected" in output.getvalue()

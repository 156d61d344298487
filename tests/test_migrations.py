"""Every model change has its migration: otherwise `migrate` warns on each bin/demo start, and a deployment
misses it. (A choice's label is part of the migration state: change the msgid, and a migration is due.)"""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 on a missing migration

    assert "No changes detected" in out.getvalue()

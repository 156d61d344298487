"""The people's trigram indexes, which the queue's search reads, keep no pending list (PostgreSQL): a sign-in
writes the user's row, and entries waiting in the list made the planner scan every person instead."""

from importlib import import_module

import pytest
from django.db import connection

migration = import_module("tickets.migrations.0015_user_trigram_no_pending_list")

pytestmark = pytest.mark.django_db


def reloptions() -> dict[str, list[str] | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(migration.INDEXES)])
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN trigram indexes are PostgreSQL's")
def test_the_user_trigram_indexes_write_their_entries_straight_in():
    assert reloptions() == {index: ["fastupdate=off"] for index in migration.INDEXES}

"""Django's index on a foreign key alone is dropped where a composite index or unique constraint starting with the
key serves its lookups (tickets/0016, sla/0005, core.migrations_indexes): the migrated schema has no index on the
key alone, keeps the composite and the foreign-key constraint."""

import pytest
from django.db import connection

# table, key column, what serves lookups by it
KEYS = [
    ("tickets_ticketevent", "ticket_id", ["ticket_id", "created_at"]),
    ("tickets_followup", "ticket_id", ["ticket_id", "created_at"]),
    ("tickets_notification", "event_id", ["event_id", "recipient_id", "template"]),
    ("sla_slaclock", "ticket_id", ["ticket_id", "target"]),
    ("sla_slaevent", "ticket_id", ["ticket_id", "target", "stage"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("table", "column", "composite"), KEYS)
def test_the_key_is_served_by_its_composite_alone_and_stays_a_foreign_key(table, column, composite):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table).values()
    indexed = [c["columns"] for c in constraints if c["index"] or c["unique"]]
    assert [column] not in indexed
    assert composite in indexed
    assert any(c["foreign_key"] and c["columns"] == [column] for c in constraints)

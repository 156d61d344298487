"""Statistics on (status, assignee_id) together, on PostgreSQL (issue 16, session 21).

The queue's "Unassigned" view reads `assignee_id IS NULL AND status IN (open)` in the order of its own partial index
(ticket_open_unassigned, migration 0010). Taking the two columns as independent, PostgreSQL multiplied the share of
tickets without an assignee by the share of open ones and expected 15 of the 1,054 unassigned open tickets of the
bench's 100,000 (every unassigned ticket is open: one is assigned when taken): it joined and sorted all 1,054 rather
than read the index in order until 26 (2.3 ms against 0.3, bench/RESULTS.md). The most common combinations of the
two (mcv) give it the count (995).
"""

from django.db import migrations

from core.migrations_indexes import VendorSQL

CREATE = [
    "CREATE STATISTICS IF NOT EXISTS ticket_status_assignee_stats (mcv) ON status, assignee_id FROM tickets_ticket",
    "ANALYZE tickets_ticket",
]
DROP = ["DROP STATISTICS IF EXISTS ticket_status_assignee_stats"]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_inbound_note_codes")]

    operations = [VendorSQL("postgresql", CREATE, DROP)]

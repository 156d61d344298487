"""Indexes for the agent queue at a million tickets (issue 4).

The B-tree ones are partial indexes over the open tickets (the queue's default scope, a few percent
of the rows), declared in Ticket.Meta.indexes where each is justified. The PostgreSQL-only ones
serve the queue's free-text search (tickets.queue.QueueFilter.filter_search): Django compiles
`icontains` to `UPPER(col::text) LIKE UPPER('%…%')` on PostgreSQL, which the plain-column trigram
indexes of migration 0005 cannot serve, so these index the UPPER() expression. Every one is checked
by EXPLAIN in bench/agent_queue.py's output (bench/RESULTS.md, "Agent queue").
"""

from django.db import migrations, models

from core.migrations_indexes import VendorSQL

OPEN = ("new", "in_progress", "waiting")

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Search, title branch: UPPER(title) LIKE UPPER('%word%') AND status IN (open) -> bitmap scan of this index.
    "CREATE INDEX IF NOT EXISTS ticket_open_title_upper_trgm ON tickets_ticket "
    "USING gin (upper(title::text) gin_trgm_ops) WHERE status IN ('new', 'in_progress', 'waiting')",
    # Statistics on UPPER(title) (its most common values): without them the planner guesses a few rows
    # for any LIKE '%word%', and for a common word ("imprimante": 1 open ticket in 16) chose the bitmap
    # over thousands of rows instead of reading ticket_open_created in order until 26 match.
    "CREATE STATISTICS IF NOT EXISTS ticket_title_upper_stats ON (upper(title::text)) FROM tickets_ticket",
    # Search, requester branch: ARRAY(SELECT id FROM auth_user WHERE UPPER(username|email|first_name|
    # last_name) LIKE UPPER('%name%')) -> a BitmapOr of these four instead of a scan of every user.
    "CREATE INDEX IF NOT EXISTS user_username_upper_trgm ON auth_user USING gin (upper(username::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_email_upper_trgm ON auth_user USING gin (upper(email::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_first_name_upper_trgm ON auth_user USING gin (upper(first_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_last_name_upper_trgm ON auth_user USING gin (upper(last_name::text) gin_trgm_ops)",
    "ANALYZE tickets_ticket",
]
DROP = [
    "DROP INDEX IF EXISTS ticket_open_title_upper_trgm",
    "DROP STATISTICS IF EXISTS ticket_title_upper_stats",
    "DROP INDEX IF EXISTS user_username_upper_trgm",
    "DROP INDEX IF EXISTS user_email_upper_trgm",
    "DROP INDEX IF EXISTS user_first_name_upper_trgm",
    "DROP INDEX IF EXISTS user_last_name_upper_trgm",
]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_inbound_email"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        # The default queue: status IN (open) ORDER BY created_at DESC, id DESC LIMIT 26, its keyset
        # pages (created_at <= cursor …), and every filter that keeps the open statuses.
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(condition=models.Q(("status__in", OPEN)),
                               fields=["-created_at", "-id"], name="ticket_open_created"),
        ),
        # The queue sorted by deadline: status IN (open) ORDER BY resolution_due_at ASC NULLS LAST, id LIMIT 26.
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(condition=models.Q(("status__in", OPEN)),
                               fields=["resolution_due_at", "id"], name="ticket_open_deadline"),
        ),
        # The "Unassigned" view: assignee_id IS NULL AND status IN (open) ORDER BY created_at DESC, id DESC.
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(condition=models.Q(("assignee__isnull", True), ("status__in", OPEN)),
                               fields=["-created_at", "-id"], name="ticket_open_unassigned"),
        ),
        # Search by requester: requester_id = ANY(ARRAY(matching users)) AND status IN (open).
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(condition=models.Q(("status__in", OPEN)), fields=["requester"],
                               name="ticket_open_requester"),
        ),
        VendorSQL("postgresql", CREATE, DROP),
    ]

"""PostgreSQL only: a trigram index so `title ILIKE '%…%'` in the queue search stays fast at a
million tickets (a B-tree cannot serve a leading wildcard). SQLite scans, which is fine at its size."""

from django.db import migrations

from core.migrations_indexes import VendorSQL

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ticket_title_trgm ON tickets_ticket USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_username_trgm ON auth_user USING gin (username gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_last_name_trgm ON auth_user USING gin (last_name gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS ticket_title_trgm",
    "DROP INDEX IF EXISTS user_username_trgm",
    "DROP INDEX IF EXISTS user_last_name_trgm",
]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_saved_views"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [VendorSQL("postgresql", CREATE, DROP)]

"""The people's trigram indexes keep no pending list (issue 16, session 9).

A GIN index with `fastupdate` (PostgreSQL's default) files new entries in a pending list, merged into the index
by the next VACUUM, and the planner adds the list's pages to the index's cost. `auth_user` is written at every
sign-in (`last_login`), each a new row version with entries in all its indexes: three sign-ins since the last
VACUUM turned the queue's search for a requester's name (`tickets.queue.QueueFilter.filter_search`, migration
0010) from a BitmapOr of these indexes (0.09 ms at 5,000 people) into a scan of every person, UPPER() of four
columns each (7 ms), on every search. People are written rarely, so the entries go straight into the index
(`fastupdate = off`); what the list holds now is merged. The tickets' title index keeps its list: tickets are
written a hundred times a second.
"""

from django.db import migrations

INDEXES = ("user_username_trgm", "user_last_name_trgm", "user_username_upper_trgm", "user_email_upper_trgm",
           "user_first_name_upper_trgm", "user_last_name_upper_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)")
            schema_editor.execute(f"SELECT gin_clean_pending_list(to_regclass('{index}')) "
                                  f"WHERE to_regclass('{index}') IS NOT NULL")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {index} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_recurring_rule_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

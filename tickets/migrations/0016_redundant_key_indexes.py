"""Django's index on each of these foreign keys alone goes: a composite index or unique constraint starting
with the key serves the same lookups, and every event, followup and notification written paid for a second
B-tree (issue 16, session 13). Only the indexes are dropped (concurrently on PostgreSQL); the foreign-key
constraints stay as they are, where AlterField would drop them and validate them again over every row."""

from django.db import migrations, models

from core.migrations_indexes import DropKeyIndexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0015_user_trigram_no_pending_list"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="followup", name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="followups", to="tickets.ticket"),
                ),
                migrations.AlterField(
                    model_name="notification", name="event",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="notifications", to="tickets.ticketevent"),
                ),
                migrations.AlterField(
                    model_name="ticketevent", name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="events", to="tickets.ticket"),
                ),
            ],
            database_operations=[DropKeyIndexes([
                ("tickets_followup_ticket_id_3fbc2e56", "tickets_followup", "ticket_id"),
                ("tickets_notification_event_id_cccaecba", "tickets_notification", "event_id"),
                ("tickets_ticketevent_ticket_id_b572d14b", "tickets_ticketevent", "ticket_id"),
            ])],
        ),
    ]

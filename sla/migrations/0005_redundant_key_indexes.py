"""Django's index on each clock's and SLA event's ticket alone goes: the unique constraints sla_clock_per_target
(ticket, target) and sla_event_once (ticket, target, stage) serve the same lookups (issue 16, session 13). Only
the indexes are dropped (concurrently on PostgreSQL); the foreign-key constraints stay as they are."""

from django.db import migrations, models

from core.migrations_indexes import DropKeyIndexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sla", "0004_policy_recompute_requested_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="slaclock", name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="sla_clocks", to="tickets.ticket"),
                ),
                migrations.AlterField(
                    model_name="slaevent", name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="sla_events", to="tickets.ticket"),
                ),
            ],
            database_operations=[DropKeyIndexes([
                ("sla_slaclock_ticket_id_81c584d7", "sla_slaclock", "ticket_id"),
                ("sla_slaevent_ticket_id_9d62dfb7", "sla_slaevent", "ticket_id"),
            ])],
        ),
    ]

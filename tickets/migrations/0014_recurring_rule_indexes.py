"""The recurring rule's two index ranges (escalation.services._recent_in_category), and the three foreign keys
they, or older composite indexes, lead with lose their own single-column index.

The foreign keys change in the migration state only; in the database their indexes are dropped by name.
Django's AlterField would rebuild the whole table on SQLite (copy, drop, rename), and the rebuilt table
would lose the triggers storms 0002 keeps on it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("requester_id", "organisation_id", "assignee_id")


def _single_column_indexes(schema_editor, model, column: str) -> list[str]:
    # As Django's AlterField finds the field's own index: not unique, and not one of Meta.indexes (such as
    # ticket_open_requester, a partial index on the same column).
    declared = {index.name for index in model._meta.indexes}
    return schema_editor._constraint_names(model, [column], index=True, unique=False, primary_key=False,
                                           exclude=declared)


def drop_indexes(apps, schema_editor):
    model = apps.get_model("tickets", "Ticket")
    for column in COLUMNS:
        for name in _single_column_indexes(schema_editor, model, column):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_indexes(apps, schema_editor):
    model = apps.get_model("tickets", "Ticket")
    for column in COLUMNS:
        if not _single_column_indexes(schema_editor, model, column):
            field = next(field for field in model._meta.fields if field.column == column)
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_dpo_role'),
        ('tickets', '0013_requester_active_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['requester', 'category', 'created_at'], name='ticket_requester_category'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organisation', 'category', 'created_at'], name='ticket_organisation_category'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='assigned agent'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='organisation',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='accounts.organisation', verbose_name='organisation'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='requester',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requested_tickets', to=settings.AUTH_USER_MODEL, verbose_name='requester'),
                ),
            ],
        ),
    ]

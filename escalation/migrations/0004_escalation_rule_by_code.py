"""The escalation log names its rule by the rule's fixed code instead of its id."""

import django.db.models.deletion
from django.db import migrations, models


def copy_codes(apps, schema_editor):
    Escalation = apps.get_model("escalation", "Escalation")
    for escalation in Escalation.objects.filter(rule__isnull=False).select_related("rule").iterator():
        Escalation.objects.filter(pk=escalation.pk).update(rule_code=escalation.rule.code)


def copy_ids(apps, schema_editor):
    Escalation = apps.get_model("escalation", "Escalation")
    EscalationRule = apps.get_model("escalation", "EscalationRule")
    for rule in EscalationRule.objects.all():
        Escalation.objects.filter(rule_code=rule.code).update(rule=rule)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0003_escalation_note")]

    operations = [
        migrations.AddField("escalation", "rule_code", models.CharField(max_length=30, null=True)),
        migrations.RunPython(copy_codes, copy_ids),
        migrations.RemoveField("escalation", "rule"),
        migrations.AlterField(
            "escalation", "rule_code",
            models.ForeignKey(blank=True, db_column="rule_code", null=True,
                              on_delete=django.db.models.deletion.SET_NULL, related_name="escalations",
                              to="escalation.escalationrule", to_field="code", verbose_name="rule"),
        ),
        migrations.RenameField("escalation", "rule_code", "rule"),
    ]

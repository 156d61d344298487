from django.db import migrations

DEFAULT_RULES = [
    # code, target level ("" = next level up)
    ("stalled_diagnostic", ""),
    ("sla_breach", ""),
    ("vip_start", "N2"),
    ("p1_alert", "N4"),
    ("recurring", "N2"),
]


def create_rules(apps, schema_editor):
    EscalationRule = apps.get_model("escalation", "EscalationRule")
    for code, target in DEFAULT_RULES:
        EscalationRule.objects.get_or_create(code=code, defaults={"target_level": target})


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]

"""The default policy of the specification on a 24/7 calendar, and a 9:00–18:00 business calendar to choose."""

from datetime import time

from django.db import migrations

DEFAULT_TARGETS = [
    # priority, response (value, unit), resolution (value, unit)
    ("P1", 15, "minutes", 4, "hours"),
    ("P2", 1, "hours", 8, "hours"),
    ("P3", 4, "hours", 48, "hours"),
    ("P4", 24, "hours", 5, "days"),
]


def create_defaults(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WorkingHours = apps.get_model("sla", "WorkingHours")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")

    always, _ = BusinessCalendar.objects.get_or_create(
        name="24/7", defaults={"always_open": True, "holiday_country": "", "time_zone": "Europe/Paris"}
    )
    business, created = BusinessCalendar.objects.get_or_create(
        name="Jours ouvrés 9h–18h", defaults={"time_zone": "Europe/Paris", "holiday_country": "FR"}
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=business, weekday=day, start=time(9), end=time(18)) for day in range(5)
        )
    if not SlaPolicy.objects.filter(is_default=True).exists():
        policy = SlaPolicy.objects.create(name="Politique par défaut", is_default=True, calendar=always)
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, priority=priority, response_value=rv, response_unit=ru,
                      resolution_value=sv, resolution_unit=su)
            for priority, rv, ru, sv, su in DEFAULT_TARGETS
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""New installs assign automatically by deadline at every level (8 open tickets per agent at most).
Only agents given a skill receive tickets, so nothing changes until managers declare skills."""

from django.db import migrations


def create_settings(apps, schema_editor):
    LevelSetting = apps.get_model("dispatch", "LevelSetting")
    for level in ("N1", "N2", "N3", "N4"):
        LevelSetting.objects.get_or_create(level=level, defaults={"policy": "deadline_aware", "max_open": 8})


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]

    operations = [migrations.RunPython(create_settings, migrations.RunPython.noop)]

"""An inbound message's two set reasons are stored as codes (InboundEmail.UNKNOWN_SENDER, AUTOMATIC) and said in
the reader's language; before, the worker wrote them in its own (French by default). The rows written so far, in
French or English, get the codes."""

from django.db import migrations

WRITTEN = {
    "unknown sender": ["Expéditeur inconnu", "Unknown sender"],
    "automatic message": ["Message automatique (réponse d'absence, message non distribué)",
                          "Automatic message (out of office, bounce)"],
}


def to_codes(apps, schema_editor):
    InboundEmail = apps.get_model("tickets", "InboundEmail")
    for code, texts in WRITTEN.items():
        InboundEmail.objects.filter(note__in=texts).update(note=code)


def to_texts(apps, schema_editor):
    InboundEmail = apps.get_model("tickets", "InboundEmail")
    for code, texts in WRITTEN.items():
        InboundEmail.objects.filter(note=code).update(note=texts[0])


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0018_organisation_backlog_include'),
    ]

    operations = [
        migrations.RunPython(to_codes, to_texts),
    ]

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit.models import Action, AuditEntry
from privacy.services import personal_data_export


class Command(BaseCommand):
    help = "Write everything the helpdesk stores about one person to a ZIP (data.json, summary.html, files)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--output", required=True, help="the ZIP file to write")

    def handle(self, *args, username, output, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        Path(output).write_bytes(personal_data_export(user=user))
        AuditEntry.objects.record(Action.EXPORT, actor=None, subject=user, details={"via": "command"})
        self.stdout.write(f"Wrote {output}")

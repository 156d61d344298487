from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacy.services import personal_data_anonymise


class Command(BaseCommand):
    help = "Replace one person by a stable pseudonym everywhere (right to erasure). Cannot be undone."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        result = personal_data_anonymise(user=user)
        self.stdout.write(f"Anonymised user {user.pk}: {result.rows_rewritten} rows rewritten, "
                          f"{result.attachments_deleted} attachments and {result.notifications_deleted} "
                          f"unsent notifications deleted")

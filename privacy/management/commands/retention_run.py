from django.core.management.base import BaseCommand

from privacy.services import retention_run


class Command(BaseCommand):
    help = "Apply the retention rules (privacy admin); --dry-run prints exactly what a run would do."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        steps = retention_run(dry_run=dry_run)
        for step in steps:
            self.stdout.write(step.line())
        self.stdout.write(f"{len(steps)} steps{' (dry run)' if dry_run else ''}")

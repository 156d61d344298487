from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from dashboard.services import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the dashboard's daily rollups of every past day (after a bulk load, or to repair)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = rollups_rebuild()
        self.stdout.write(f"{result.created_days} creation days and {result.resolution_days} resolution days "
                          f"rolled up in {time.perf_counter() - started:.1f} s")

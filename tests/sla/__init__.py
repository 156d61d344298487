"""Tests of the sla app: calendar arithmetic, deadlines, the beat sweep, a real worker."""

import importlib

from django.apps import apps


def restore_reference_data() -> None:
    """Put back the rows the data migrations create: the default SLA policy and its calendars, the
    escalation rules. A transactional test ends with a flush that empties them, and with --reuse-db
    the next session starts from that empty state. Both functions are idempotent (get_or_create)."""
    importlib.import_module("sla.migrations.0002_default_policy").create_defaults(apps, None)
    importlib.import_module("escalation.migrations.0002_default_rules").create_rules(apps, None)

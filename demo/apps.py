from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """`manage.py seed_demo`: the demo, built through every app's services (docs/architecture.md)."""

    name = "demo"
    verbose_name = _("Demo data")

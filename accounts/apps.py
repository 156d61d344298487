from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the directory sign-in's system checks
            receivers,  # noqa: F401 - the reference cache's invalidation
        )

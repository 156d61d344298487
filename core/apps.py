from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    """What every app shares (core.*): no models; on PostgreSQL, the cursors that prepare repeated SELECTs and the
    compiled reading of timestamps."""

    name = "core"

    def ready(self) -> None:
        from .postgres import load_timestamps_natively, use_preparing_cursor

        connection_created.connect(use_preparing_cursor, dispatch_uid="core.use_preparing_cursor")
        connection_created.connect(load_timestamps_natively, dispatch_uid="core.load_timestamps_natively")

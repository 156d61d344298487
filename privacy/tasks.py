"""Thin tasks: each calls one service."""

from celery import shared_task
from django.contrib.auth import get_user_model

from . import services


@shared_task
def run_retention() -> int:
    services.exports_purge()
    return len(services.retention_run())


@shared_task
def export_personal_data(user_id: int) -> str:
    """Write one person's export under MEDIA_ROOT/exports/; its storage name."""
    return services.personal_data_export_to_media(user=get_user_model().objects.get(pk=user_id))

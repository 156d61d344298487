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


@shared_task(bind=True, max_retries=2, default_retry_delay=30)
def build_personal_data_export(self, export_id: int) -> str | None:
    """Build an export the person asked for on their page (idempotent: a claimed export is skipped)."""
    try:
        export = services.personal_data_export_build(export_id=export_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.personal_data_export_fail(export_id=export_id)
            raise
        raise self.retry(exc=error) from error
    return export.file if export else None


@shared_task
def send_pending_exports() -> int:
    return services.personal_data_exports_resend()

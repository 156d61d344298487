"""The one Celery application, configured from the CELERY_* settings; it finds each app's tasks.py."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
def _publish_at_once(**kwargs):
    """A worker's publishes go out as its tasks run (core.broker.publish_ids)."""
    from core.broker import publish_at_once

    publish_at_once()

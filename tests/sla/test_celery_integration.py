"""A real Celery worker with its embedded beat, against Redis and the PostgreSQL test database, sees an
overdue first response and records the breach. Skipped unless both services are there (CI has them).

The worker runs in its own process on the test database, so the test is transactional: what it writes
is committed and visible to the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from sla.models import SlaClock, SlaEvent, Stage, Target
from tests.factories import make_ticket, restore_reference_data
from tickets.models import Scale

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of this run's own (.ci/run gives each run its spare ones), the cache's being emptied per test.
BROKER_URL = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_SPARE_DBS', '15,14').split(',')[0]}"
# Beat fires the sweep every minute on the minute; the task is also sent once by hand, so this is
# mostly the worker's start-up time.
WAIT_SECONDS = 90


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return None


pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or _redis() is None,
    reason="needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1:6379",
)


@pytest.fixture(autouse=True)
def _reference_data(db):
    restore_reference_data()


def _test_database_url() -> str:
    """DATABASE_URL with the database replaced by pytest-django's test database."""
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def _stop(worker: subprocess.Popen) -> None:
    """Warm shutdown first (SIGTERM), then kill the worker's own process group."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_record_a_breach_of_an_overdue_ticket(requester, category, tmp_path):
    redis_client = _redis()
    redis_client.flushdb()
    ticket = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)
    past = timezone.now() - timedelta(minutes=1)
    # As if the ticket had been opened long ago: its first response is overdue, never warned.
    SlaClock.objects.filter(ticket=ticket, target=Target.RESPONSE).update(
        warn_at=past - timedelta(minutes=4), due_at=past, next_check_at=past - timedelta(minutes=4)
    )

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "celery-integration-test",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "HELPDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    }
    env.pop("DEBUG", None)
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-B", "--loglevel=INFO",
             "--concurrency=1", "-s", str(tmp_path / "celerybeat-schedule")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        # Queued in Redis now, consumed as soon as the worker is up: no wait for the next minute. A client
        # app of its own: this process's app is configured eager, for the rest of the suite.
        client = Celery("sla-integration-test", broker=BROKER_URL, set_as_current=False)
        client.conf.update(task_serializer="json", accept_content=["json"])
        client.send_task("sla.tasks.check_sla_deadlines")

        breach = SlaEvent.objects.filter(ticket=ticket, target=Target.RESPONSE, stage=Stage.BREACH)
        deadline = time.monotonic() + WAIT_SECONDS
        while not breach.exists() and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker died:\n" + log_path.read_text(errors="replace")[-5000:]
            time.sleep(1)

        assert breach.exists(), "no breach recorded in time:\n" + log_path.read_text(errors="replace")[-5000:]
        assert SlaEvent.objects.filter(ticket=ticket).count() == 1  # the breach, once; no late warning
        ticket.refresh_from_db()
        assert ticket.sla_state == "breached"
    finally:
        _stop(worker)
        redis_client.flushdb()
    output = log_path.read_text(errors="replace")
    assert "sla.tasks.check_sla_deadlines" in output
    assert "beat: Starting" in output

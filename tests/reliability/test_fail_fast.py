"""A dead broker or cache costs a request milliseconds, and the log says so once a minute, not per request."""

from __future__ import annotations

import logging
import time

from celery import Celery
from django.conf import settings

from core.broker import publish
from helpdesk.logging import OncePerInterval
from tests.live import free_port


def _noop() -> None:
    """The probe's task. Not a lambda: Celery builds a task's signature from its function's name (a lambda's is
    a SyntaxError), and this app's pending tasks are built again when a shared task (privacy.tasks…) is
    imported later."""


def test_a_publish_to_a_dead_broker_gives_up_at_once_without_retrying(caplog, monkeypatch):
    # Celery reads the broker from the environment before its configuration: where CELERY_BROKER_URL is set (CI,
    # production), the probe would publish to the live broker. (With a lambda for a task, the publish failed on
    # building the task instead, and this test passed whatever the broker did.)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    app = Celery("dead-broker-probe")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    task = app.task(name="probe.noop")(_noop)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="helpdesk.broker"):
        published = [publish(task, what="probe") for _ in range(3)]
    elapsed = time.monotonic() - started

    assert published == [False, False, False]
    # With kombu's default connection retries, each publish slept 0.5-2 s before giving up.
    assert elapsed < 1.0, f"three publishes to a dead broker took {elapsed:.2f} s"
    assert "Broker unavailable; probe left for the next sweep" in caplog.text
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] == 0


def _record(message="Exception ignored") -> logging.LogRecord:
    try:
        raise RuntimeError("wrapper") from ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    return logging.LogRecord("helpdesk.cache", logging.ERROR, __file__, 1, message, None, exc_info)


def test_the_cache_outage_is_logged_once_a_minute_as_a_one_line_warning_with_its_cause():
    now = [1000.0]
    noisy = OncePerInterval(seconds=60, message="Cache unavailable, working without it", clock=lambda: now[0])

    first = _record()
    kept = [noisy.filter(first)] + [noisy.filter(_record()) for _ in range(50)]
    now[0] += 59
    still_quiet = noisy.filter(_record())
    now[0] += 2
    later = noisy.filter(_record())

    assert kept.count(True) == 1 and kept[0] is True
    assert still_quiet is False and later is True
    assert first.levelname == "WARNING" and first.exc_info is None
    assert first.getMessage() == ("Cache unavailable, working without it "
                                  "(ConnectionError: Error 111 connecting to 127.0.0.1:6379.); silent for 60 s")

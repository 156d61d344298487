"""core.redis_transport: kombu's Redis transport with one client per channel (issue 16). The messages are the
same, in the same queue; a dead broker still fails the publish at once; a Redis that comes back is used again."""

from __future__ import annotations

import json
import logging
import time
from unittest import mock

import pytest
import redis
from celery import Celery

from core import redis_transport
from core.broker import publish
from tests import live


@pytest.fixture(autouse=True)
def _own_broker_only(monkeypatch):
    """Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it to the machine's
    Redis): the probe app must publish to the Redis each test starts, nowhere else."""
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)


def _app(port: int) -> Celery:
    app = Celery("redis-transport-probe", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=f"redis://127.0.0.1:{port}/0", broker_transport="core.redis_transport:Transport",
                    task_always_eager=False)
    return app


def _echo(value):
    return value


def test_messages_reach_the_queue_with_one_client_per_channel():
    port = live.free_port()
    server = live.start_redis(port)
    try:
        app = _app(port)
        task = app.task(name="probe.echo")(_echo)
        create = redis_transport.redis.Channel._create_client
        with mock.patch.object(redis_transport.redis.Channel, "_create_client", autospec=True,
                               side_effect=create) as created:
            assert all(publish(task, n, what="probe") for n in range(5))
            first = created.call_count
            assert all(publish(task, n, what="probe") for n in range(5))
        queued = redis.Redis(port=port).lrange("celery", 0, -1)
        assert len(queued) == 10
        assert sorted(json.loads(message)["headers"]["task"] for message in queued) == ["probe.echo"] * 10
        # Kombu's own Channel built one per message (a publish, 5 more); here the channel's client serves on.
        assert first <= 2 and created.call_count == first
        with app.connection_for_write() as connection:
            assert isinstance(connection.default_channel, redis_transport.Channel)
    finally:
        live.stop(server)


def test_a_dead_broker_fails_at_once_and_a_restarted_one_is_used_again(caplog):
    port = live.free_port()
    server = live.start_redis(port)
    app = _app(port)
    task = app.task(name="probe.echo")(_echo)
    try:
        assert publish(task, 1, what="probe")
        live.stop(server)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="helpdesk.broker"):
            assert [publish(task, n, what="probe") for n in range(3)] == [False, False, False]
        assert time.monotonic() - started < 1.0
        assert "Broker unavailable; probe left for the next sweep" in caplog.text
        server = live.start_redis(port)
        assert publish(task, 2, what="probe")
        assert redis.Redis(port=port).llen("celery") == 1  # the first Redis kept nothing on disk
    finally:
        live.stop(server)


def test_the_settings_choose_it_for_a_redis_broker_only(settings):
    from django.conf import settings as live_settings

    if live_settings.CELERY_BROKER_URL.startswith("redis://"):
        assert live_settings.CELERY_BROKER_TRANSPORT == "core.redis_transport:Transport"
    else:
        assert not hasattr(live_settings, "CELERY_BROKER_TRANSPORT")

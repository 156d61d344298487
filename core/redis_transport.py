"""Kombu's Redis transport, keeping one Redis client per channel for its commands (issue 16).

Kombu builds a new `redis.Redis` client for every message it publishes (`Channel.conn_or_acquire`): the
client's constructor fills its table of about 170 response callbacks each time, a third of kombu's
share of a publish. The connections already come from the channel's pool; the client object holds no
state of its own between commands (pipelines are objects of their own), so one per channel does the same
work. A channel whose pool was replaced (after a disconnect) gets a new client on that pool.

Chosen by helpdesk.settings for a `redis://` broker (CELERY_BROKER_TRANSPORT); the outage behaviour is
kombu's own (no retry: CELERY_BROKER_TRANSPORT_OPTIONS).
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis


class Channel(redis.Channel):
    _command_client = None
    _command_pool = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        pool = self.pool
        if self._command_client is None or self._command_pool is not pool:
            self._command_client, self._command_pool = self._create_client(), pool
        yield self._command_client


class Transport(redis.Transport):
    Channel = Channel

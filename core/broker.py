"""Sending a task to the broker from a request, without ever failing or slowing the request."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable

from django.conf import settings

logger = logging.getLogger("helpdesk.broker")

# The most ids one coalesced message carries; a longer list goes in several.
MESSAGE_IDS = 500


def publish(task, *args, what: str) -> bool:
    """Send `task(*args)` to the broker once, without waiting for a dead one; False when it is down.

    For the request path, after commit: the caller's rows (an outbox notification, a saved policy) are
    the source of truth and a beat job picks them up later, so the publish is not retried (retry=False,
    and CELERY_BROKER_TRANSPORT_OPTIONS max_retries 0 for the connection): a broker outage costs a
    request a few milliseconds, not seconds in the publish retry.
    """
    try:
        task.apply_async(args, retry=False)
    except Exception:  # noqa: BLE001 - any broker error; the caller's rows are the source of truth
        logger.warning("Broker unavailable; %s left for the next sweep", what, exc_info=True)
        return False
    return True


def publish_ids(task, ids: Iterable[int], *, what: str, wait_ms: int | None = None) -> None:
    """After commit: ask a worker to run `task(ids)`, in one message with the ids this process sends the same
    task within `wait_ms` (HELPDESK_BROKER_COALESCE_MS when None) of the first (a background thread publishes
    them); at once where the wait is 0, in a Celery worker, or when tasks run eagerly (the tests).

    For tasks whose one argument is a list of ids, each handled on its own and idempotently (a new ticket's
    notifications, its storm detection): under load every request made its own message, and building one
    (Celery's apply_async) was a fifth of a submission's instructions (bench/RESULTS.md, session 10); a task
    whose run costs the same whatever its number of ids (storm detection reads its window each time) waits
    longer for more of them. `what` names the work for the log, with `{count}` for the number of ids. As with
    `publish`, a message lost (a dead broker, a process killed before its flush) leaves rows that a beat job
    picks up: the outbox drain, the storm scan.
    """
    ids = list(ids)
    delay = (settings.HELPDESK_BROKER_COALESCE_MS if wait_ms is None else wait_ms) / 1000
    if delay <= 0 or _IN_WORKER or task.app.conf.task_always_eager:
        publish(task, ids, what=what.format(count=len(ids)))
        return
    _coalescer.add(task, ids, what, delay)


class _Coalescer:
    """The ids waiting per task, each task's until its own moment (its first ids' wait after them), and the
    thread that publishes them then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: dict[str, list] = {}  # task name -> [task, ids, what, due (time.monotonic)]
        self._thread: threading.Thread | None = None

    def add(self, task, ids: list[int], what: str, delay: float) -> None:
        with self._lock:
            waiting = self._pending.get(task.name)
            if waiting is not None:
                waiting[1].extend(ids)  # due with the ids already waiting: the thread's moment is unchanged
                return
            self._pending[task.name] = [task, ids, what, time.monotonic() + delay]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="broker-coalescer", daemon=True)
                self._thread.start()
        self._wake.set()  # a new task's moment, which may come before the one the thread waits for

    def _run(self) -> None:
        while True:
            with self._lock:
                due = min((waiting[3] for waiting in self._pending.values()), default=None)
            # Until the first task's moment, or a new task's ids (which may be due sooner); the ids of the
            # requests meanwhile join their task's.
            if self._wake.wait(None if due is None else max(0.0, due - time.monotonic())):
                self._wake.clear()
            self.flush(time.monotonic())

    def flush(self, now: float | None = None) -> None:
        """Publish what is due at `now` (the thread), or all that waits (at the process's exit)."""
        with self._lock:
            due = [name for name, waiting in self._pending.items() if now is None or waiting[3] <= now]
            pending = [self._pending.pop(name) for name in due]
        for task, ids, what, _due in pending:
            for start in range(0, len(ids), MESSAGE_IDS):
                chunk = ids[start:start + MESSAGE_IDS]
                publish(task, chunk, what=what.format(count=len(chunk)))

    def forget(self) -> None:
        """In a forked child: the parent's ids are the parent's to send, and its thread is not here."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending = {}
        self._thread = None


_coalescer = _Coalescer()
_IN_WORKER = False
atexit.register(lambda: _coalescer.flush())
os.register_at_fork(after_in_child=lambda: _coalescer.forget())


def publish_at_once() -> None:
    """In a Celery worker's processes (helpdesk.celery): a task's publishes go out as it runs; its process may
    end without the interpreter's exit (a pool child), which would lose what waits."""
    global _IN_WORKER  # noqa: PLW0603 - a process-wide switch, set once as the worker starts
    _IN_WORKER = True

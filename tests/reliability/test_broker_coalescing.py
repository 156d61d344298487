"""A web process's messages for the same task go out as one after a short wait (core.broker.publish_ids):
nothing waiting is lost at the process's exit, a fork does not send its parent's ids, a dead broker is logged
and the next messages still go out."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from core import broker

ROOT = Path(__file__).resolve().parents[2]


class FakeTask:
    """A task's face as publish sees it: a name, its app's eager switch, apply_async recording the messages."""

    def __init__(self, name: str, *, eager: bool = False, fail: int = 0) -> None:
        self.name = name
        self.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=eager))
        self.messages: list[list[int]] = []
        self.fail = fail
        self.sent = threading.Event()

    def apply_async(self, args, retry=True):
        assert retry is False
        if self.fail:
            self.fail -= 1
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        self.messages.append(list(args[0]))
        self.sent.set()


@pytest.fixture
def coalescer(monkeypatch, settings):
    settings.HELPDESK_BROKER_COALESCE_MS = 30
    fresh = broker._Coalescer()
    monkeypatch.setattr(broker, "_coalescer", fresh)
    monkeypatch.setattr(broker, "_IN_WORKER", False)
    return fresh


def wait_for(task: FakeTask, messages: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(task.messages) < messages and time.monotonic() < deadline:
        time.sleep(0.005)


def test_ids_sent_within_the_wait_go_out_as_one_message_per_task(coalescer):
    notifications, storms = FakeTask("send_notifications"), FakeTask("detect_storms")

    broker.publish_ids(notifications, [1, 2], what="{count} notifications")
    broker.publish_ids(storms, [10], what="storm detection of {count} tickets")
    broker.publish_ids(notifications, [3], what="{count} notifications")
    assert notifications.messages == [] and storms.messages == []  # nothing before the wait
    wait_for(notifications, 1)
    wait_for(storms, 1)

    assert notifications.messages == [[1, 2, 3]]
    assert storms.messages == [[10]]


def test_each_task_waits_its_own_wait(coalescer):
    notifications, storms = FakeTask("send_notifications"), FakeTask("detect_storms")

    broker.publish_ids(storms, [10], what="storm detection of {count} tickets", wait_ms=2000)
    broker.publish_ids(notifications, [1], what="{count} notifications")  # the default: 30 ms
    wait_for(notifications, 1)
    broker.publish_ids(storms, [11], what="storm detection of {count} tickets", wait_ms=2000)

    # The later task with the shorter wait went out first; the earlier one still waits, gathering.
    assert notifications.messages == [[1]]
    assert storms.messages == []
    wait_for(storms, 1)
    assert storms.messages == [[10, 11]]


def test_a_task_due_sooner_is_not_held_behind_one_due_later(coalescer):
    slow, quick = FakeTask("detect_storms"), FakeTask("send_notifications")

    broker.publish_ids(slow, [1], what="storm detection of {count} tickets", wait_ms=60_000)
    started = time.monotonic()
    broker.publish_ids(quick, [2], what="{count} notifications", wait_ms=30)
    wait_for(quick, 1)

    assert quick.messages == [[2]] and time.monotonic() - started < 5
    assert slow.messages == []
    coalescer.flush()  # the process's exit sends what still waits
    assert slow.messages == [[1]]


def test_ids_sent_after_a_flush_go_in_the_next_message(coalescer):
    task = FakeTask("send_notifications")

    broker.publish_ids(task, [1], what="{count} notifications")
    wait_for(task, 1)
    broker.publish_ids(task, [2], what="{count} notifications")
    wait_for(task, 2)

    assert task.messages == [[1], [2]]


def test_threads_sending_at_once_lose_no_id(coalescer):
    task = FakeTask("send_notifications")

    def send(start):
        for pk in range(start, start + 200):
            broker.publish_ids(task, [pk], what="{count} notifications")

    threads = [threading.Thread(target=send, args=(start,)) for start in range(0, 1000, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 5
    while sum(len(message) for message in task.messages) < 1000 and time.monotonic() < deadline:
        time.sleep(0.005)

    sent = [pk for message in task.messages for pk in message]
    assert sorted(sent) == list(range(1000))
    assert len(task.messages) < 100  # coalesced, not one message per id
    assert max(len(message) for message in task.messages) <= broker.MESSAGE_IDS


def test_a_long_list_goes_in_messages_of_at_most_message_ids(coalescer):
    task = FakeTask("detect_storms")

    broker.publish_ids(task, range(broker.MESSAGE_IDS * 2 + 1), what="storm detection of {count} tickets")
    wait_for(task, 3)

    assert [len(message) for message in task.messages] == [broker.MESSAGE_IDS, broker.MESSAGE_IDS, 1]


def test_eagerly_run_tasks_zero_wait_and_a_worker_publish_at_once(coalescer, settings, monkeypatch):
    eager = FakeTask("eager", eager=True)
    broker.publish_ids(eager, [1], what="{count} notifications")
    assert eager.messages == [[1]]

    settings.HELPDESK_BROKER_COALESCE_MS = 0
    unwaited = FakeTask("unwaited")
    broker.publish_ids(unwaited, [2], what="{count} notifications")
    assert unwaited.messages == [[2]]
    settings.HELPDESK_BROKER_COALESCE_MS = 30
    broker.publish_ids(unwaited, [4], what="{count} notifications", wait_ms=0)  # a task's own 0 too
    assert unwaited.messages == [[2], [4]]
    settings.HELPDESK_BROKER_COALESCE_MS = 0

    settings.HELPDESK_BROKER_COALESCE_MS = 30
    from celery.signals import worker_process_init

    import helpdesk.celery  # noqa: F401 - connects the worker's switch

    worker_process_init.send(sender=None)
    assert broker._IN_WORKER is True
    in_worker = FakeTask("in_worker")
    broker.publish_ids(in_worker, [3], what="{count} notifications")
    assert in_worker.messages == [[3]]
    assert coalescer._thread is None  # no thread was started for any of them


def test_a_dead_broker_is_logged_and_the_next_messages_still_go_out(coalescer, caplog):
    task = FakeTask("send_notifications", fail=1)

    with caplog.at_level(logging.WARNING, logger="helpdesk.broker"):
        broker.publish_ids(task, [1, 2], what="{count} notifications")
        deadline = time.monotonic() + 5
        while "left for the next sweep" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.005)
        broker.publish_ids(task, [3], what="{count} notifications")
        wait_for(task, 1)

    assert "Broker unavailable; 2 notifications left for the next sweep" in caplog.text
    assert task.messages == [[3]]  # the outbox drain sends 1 and 2 (tests/reliability/test_outbox.py)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_does_not_send_its_parents_waiting_ids(coalescer, settings):
    settings.HELPDESK_BROKER_COALESCE_MS = 60_000  # the parent's ids wait through the child's life
    task = FakeTask("send_notifications")
    broker.publish_ids(task, [1], what="{count} notifications")

    child = os.fork()
    if child == 0:  # the child: what waits is the parent's, and no thread of its own yet
        waiting, thread = dict(broker._coalescer._pending), broker._coalescer._thread
        broker._coalescer.flush()
        os._exit(0 if not waiting and thread is None and task.messages == [] else 1)
    _pid, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert broker._coalescer._pending["send_notifications"][1] == [1]  # still the parent's to send
    broker._coalescer.flush()
    assert task.messages == [[1]]


def test_what_waits_goes_out_when_the_process_exits():
    program = """
import django
from django.conf import settings
settings.configure(HELPDESK_BROKER_COALESCE_MS=60_000)
django.setup()
from types import SimpleNamespace
from core import broker

class Task:
    name = "send_notifications"
    app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))
    def apply_async(self, args, retry=True):
        print("sent", args[0], flush=True)

broker.publish_ids(Task(), [7, 8], what="{count} notifications")
print("exiting", flush=True)
"""
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["exiting", "sent [7, 8]"]

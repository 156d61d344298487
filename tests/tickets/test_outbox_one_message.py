"""One broker message for all the outbox rows a transaction writes (issue 16: a flagged submission published
its receipt and its N2 alert as two messages)."""

from __future__ import annotations

from unittest import mock

from django.db import transaction

from tickets import outbox, tasks
from tickets.models import EventKind, Notification, TicketEvent


def _event(ticket, kind=EventKind.NOTE) -> TicketEvent:
    return TicketEvent.objects.record(ticket=ticket, kind=kind, data={})


def _ids(**filters) -> list[int]:
    return list(Notification.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def test_two_writes_of_one_transaction_go_in_one_message(ticket, requester, agent_n2,
                                                         django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.send_notifications, "apply_async") as publish, \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first, second = _event(ticket), _event(ticket)
        outbox.notify_new_events([(first, [requester], "status_changed")])
        outbox.notify_new_events([(second, [requester, agent_n2], "ticket_escalated")])
    publish.assert_called_once_with((_ids(event__in=[first, second]),), retry=False)
    assert len(publish.call_args.args[0][0]) == 3


def test_a_write_rolled_back_with_its_savepoint_leaves_the_others_sent(ticket, requester,
                                                                       django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.send_notifications, "apply_async") as publish, \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = _event(ticket)
        try:
            with transaction.atomic():
                outbox.notify_new_events([(first, [requester], "status_changed")])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        second = _event(ticket)
        outbox.notify_new_events([(second, [requester], "ticket_escalated")])
    assert _ids(event=first) == []
    sent = publish.call_args.args[0][0]
    assert publish.call_count == 1 and set(_ids(event=second)) <= set(sent)


def test_each_transaction_sends_its_own_even_when_one_is_opened_by_the_others_hook(
        ticket, requester, django_capture_on_commit_callbacks):
    """An after-commit hook that writes in a transaction of its own (an eager task) does not swallow the
    ids of the transaction whose commit ran it."""
    first, second = _event(ticket), _event(ticket, EventKind.SLA)

    def hook_writing_its_own():
        with transaction.atomic():
            outbox.notify_new_events([(second, [requester], "ticket_escalated")])

    with mock.patch.object(tasks.send_notifications, "apply_async") as publish, \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        transaction.on_commit(hook_writing_its_own)
        outbox.notify_new_events([(first, [requester], "status_changed")])
    sent = sorted(pk for call in publish.call_args_list for pk in call.args[0][0])
    assert sent == _ids(event__in=[first, second]) and len(sent) == 2

"""A new ticket's INSERT written once (core.db.insert_rows), the rest as `save()` did: its signals, the row,
django-fsm's initial state for the next transition (issue 16)."""

from __future__ import annotations

from unittest import mock

from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLInsertCompiler

from tests.factories import make_ticket
from tickets import services
from tickets.models import Status, Ticket


def test_the_row_holds_what_the_object_holds(requester, category):
    ticket = make_ticket(requester=requester, category=category, title="  Imprimante  ")
    stored = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(ticket, field.attname), field.name
    assert stored.status == Status.NEW and stored.title == "Imprimante" and stored.version == 1
    assert not ticket._state.adding and ticket._state.db == "default"


def test_save_signals_are_sent_and_no_insert_is_compiled(requester, category):
    make_ticket(requester=requester, category=category)  # the statement, written once
    received = []

    def record(signal):
        return lambda sender, instance, **kwargs: received.append((signal, instance.pk, kwargs.get("created")))

    on_pre, on_post = record("pre"), record("post")
    pre_save.connect(on_pre, sender=Ticket, weak=False)
    post_save.connect(on_post, sender=Ticket, weak=False)
    try:
        with mock.patch.object(SQLInsertCompiler, "as_sql", autospec=True,
                               side_effect=SQLInsertCompiler.as_sql) as compiled:
            ticket = make_ticket(requester=requester, category=category)
    finally:
        pre_save.disconnect(on_pre, sender=Ticket)
        post_save.disconnect(on_post, sender=Ticket)
    assert received[:2] == [("pre", None, None), ("post", ticket.pk, True)]
    assert not any(call.args[0].query.model is Ticket for call in compiled.call_args_list)


def test_the_new_ticket_takes_its_first_transition(requester, category, agent_n1):
    ticket = make_ticket(requester=requester, category=category)
    services.ticket_take(ticket=ticket, actor=agent_n1)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS

"""Reloading a ticket (or any model with a protected state field) is safe with threads (core.fsm).

django-fsm's own refresh switches the field's `protected` flag off for the whole process while it reloads:
under gunicorn's gthread workers another thread could then assign a status directly, and two refreshes that
overlap failed with "Direct status modification is not allowed". core.fsm.ThreadSafeRefreshMixin reloads
without touching the shared flag.
"""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.db import connection
from django_fsm import FSMFieldMixin

from core.fsm import ThreadSafeRefreshMixin
from tests.factories import make_ticket
from tickets.models import Status, Ticket

STATUS = Ticket._meta.get_field("status")


def test_every_model_with_a_protected_state_field_reloads_safely_with_threads():
    protected = [model for model in apps.get_models()
                 if any(isinstance(field, FSMFieldMixin) and field.protected for field in model._meta.fields)]
    assert {model.__name__ for model in protected} >= {"Ticket", "MajorIncident", "Postmortem"}
    assert [model for model in protected if not issubclass(model, ThreadSafeRefreshMixin)] == []


@pytest.mark.django_db
def test_while_a_ticket_reloads_the_status_stays_protected_for_everyone_else(requester):
    ticket, other = make_ticket(requester=requester), make_ticket(requester=requester, title="Écran noir")
    seen = []

    def during_the_select(execute, sql, params, many, context):
        seen.append(STATUS.protected)
        with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
            other.status = Status.CLOSED
        return execute(sql, params, many, context)

    Ticket.objects.filter(pk=ticket.pk).update(status=Status.IN_PROGRESS)
    with connection.execute_wrapper(during_the_select):
        ticket.refresh_from_db()
    assert seen == [True]
    assert ticket.status == Status.IN_PROGRESS
    assert other.status == Status.NEW


@pytest.mark.django_db
def test_a_reloaded_ticket_has_the_stored_status_and_still_refuses_a_direct_assignment(requester):
    ticket = make_ticket(requester=requester)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.WAITING, title="Changé ailleurs")
    ticket.refresh_from_db(fields=["title"])
    assert ticket.title == "Changé ailleurs"
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert ticket.get_deferred_fields() == set()
    with pytest.raises(AttributeError):
        ticket.status = Status.CLOSED
    ticket.title = "Sauvé après le rechargement"
    ticket.save(update_fields=["title"])  # ConcurrentTransitionMixin saw the reloaded status as the initial one


@pytest.mark.django_db
def test_a_deferred_status_loads_on_first_read(requester):
    ticket = make_ticket(requester=requester)
    partial = Ticket.objects.only("reference").get(pk=ticket.pk)
    assert partial.status == Status.NEW
    assert partial.title == ticket.title
    with pytest.raises(AttributeError):
        partial.status = Status.CLOSED


@pytest.mark.django_db
def test_reloading_a_deleted_ticket_fails_and_keeps_its_status(requester):
    ticket = make_ticket(requester=requester)
    Ticket.objects.filter(pk=ticket.pk).delete()
    with pytest.raises(Ticket.DoesNotExist):
        ticket.refresh_from_db()
    assert ticket.__dict__["status"] == Status.NEW
    assert "_fsm_reloading" not in ticket.__dict__


@pytest.mark.django_db(transaction=True)
def test_many_threads_reloading_tickets_at_once_never_fail_nor_open_the_status(requester):
    tickets = [make_ticket(requester=requester, title=f"Poste {i}") for i in range(8)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(status=Status.IN_PROGRESS)
    barrier = threading.Barrier(len(tickets))
    errors, assigned = [], []

    def reload_many(pk):
        try:
            copy = Ticket.objects.get(pk=pk)
            barrier.wait()
            for _ in range(40):
                copy.refresh_from_db()
                try:
                    copy.status = Status.CLOSED
                    assigned.append(pk)  # the flag was off: another thread's refresh opened it
                except AttributeError:
                    pass
            assert copy.status == Status.IN_PROGRESS
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=reload_many, args=(ticket.pk,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert assigned == []
    assert STATUS.protected is True


def test_the_state_fields_are_found_once_per_model_and_are_django_fsm_s(db):
    from django_fsm import ConcurrentTransitionMixin

    for model in [m for m in apps.get_models() if issubclass(m, ThreadSafeRefreshMixin)]:
        instance = model()
        django_fsm_s = list(ConcurrentTransitionMixin.state_fields.fget(instance))
        assert django_fsm_s and list(instance.state_fields) == django_fsm_s, model
        assert model().state_fields is instance.state_fields  # computed once, kept on the model

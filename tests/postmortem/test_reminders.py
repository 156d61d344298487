"""The beat job: owner reminded 12 h before the 48 h deadline, overdue postmortems and corrective
actions flagged — each once, with a frozen clock."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from postmortem import services
from postmortem.models import CorrectiveAction, Postmortem
from postmortem.tasks import remind_postmortems
from tests.postmortem.conftest import make_major_ticket, resolve
from tickets.models import Notification

RESOLVED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(RESOLVED_AT - timedelta(hours=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def postmortem(clock, requester, category, agent_n1) -> Postmortem:
    ticket = make_major_ticket(requester=requester, category=category)
    clock.move_to(RESOLVED_AT)
    resolve(ticket, agent=agent_n1)
    return Postmortem.objects.get(incident__ticket=ticket)


def mails_about(mailoutbox, postmortem):
    return [m for m in mailoutbox if postmortem.get_absolute_url() in m.body]


def test_the_owner_is_reminded_once_12_hours_before_the_deadline(clock, postmortem, agent_n1, manager, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    assert postmortem.due_at == RESOLVED_AT + timedelta(hours=48)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        clock.move_to(RESOLVED_AT + timedelta(hours=35, minutes=59))
        assert remind_postmortems()["reminded"] == 0
        clock.move_to(RESOLVED_AT + timedelta(hours=36))
        assert remind_postmortems()["reminded"] == 1
        clock.shift(timedelta(minutes=15))
        assert remind_postmortems() == {"reminded": 0, "overdue": 0, "actions_overdue": 0}

    assert [m.to for m in mails_about(mailoutbox, postmortem)] == [[agent_n1.email]]
    postmortem.refresh_from_db()
    assert postmortem.reminded_at == RESOLVED_AT + timedelta(hours=36)


def test_an_unpublished_postmortem_is_flagged_overdue_once_to_owner_and_managers(
    clock, postmortem, agent_n1, manager, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        clock.move_to(postmortem.due_at - timedelta(seconds=1))
        assert remind_postmortems()["overdue"] == 0
        clock.move_to(postmortem.due_at)
        assert remind_postmortems()["overdue"] == 1
        clock.shift(timedelta(hours=3))
        assert remind_postmortems()["overdue"] == 0

    overdue = Notification.objects.filter(template="postmortem_overdue")
    assert sorted(n.recipient.email for n in overdue) == sorted([agent_n1.email, manager.email])
    assert all(n.sent_at is not None for n in overdue)
    assert [m.to for m in mails_about(mailoutbox, postmortem) if manager.email in m.to] == [[manager.email]]
    postmortem.refresh_from_db()
    assert postmortem.overdue_flagged_at == postmortem.due_at
    assert postmortem.incident.ticket.events.filter(data__incident="postmortem_overdue").count() == 1


def test_a_published_postmortem_is_neither_reminded_nor_flagged(clock, postmortem, agent_n1, manager):
    services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Disque plein",
                               lessons_learned="Superviser l'espace disque")
    services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    services.postmortem_publish(postmortem=postmortem, actor=manager)

    clock.move_to(postmortem.due_at + timedelta(days=2))

    assert remind_postmortems() == {"reminded": 0, "overdue": 0, "actions_overdue": 0}


def test_an_overdue_corrective_action_is_flagged_once_to_its_owner(clock, postmortem, agent_n1, agent_n2,
                                                                   mailoutbox, django_capture_on_commit_callbacks):
    late = services.corrective_action_add(postmortem=postmortem, actor=agent_n1, owner=agent_n2,
                                          description="Ajouter une sonde", due_date=datetime(2026, 11, 24).date())
    done = services.corrective_action_add(postmortem=postmortem, actor=agent_n1, owner=agent_n2,
                                          description="Documenter", due_date=datetime(2026, 11, 24).date())
    services.corrective_action_complete(action=done, actor=agent_n2)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        clock.move_to(datetime(2026, 11, 24, 22, 59, tzinfo=UTC))  # 23:59 in Paris: still due today
        assert remind_postmortems()["actions_overdue"] == 0
        clock.move_to(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # midnight in Paris
        assert remind_postmortems()["actions_overdue"] == 1
        assert remind_postmortems()["actions_overdue"] == 0

    late.refresh_from_db()
    assert late.overdue_flagged_at is not None
    assert CorrectiveAction.objects.get(pk=done.pk).overdue_flagged_at is None
    action_mails = [m for m in mails_about(mailoutbox, postmortem) if "Ajouter une sonde" in m.body]
    assert [m.to for m in action_mails] == [[agent_n2.email]]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_flag_an_overdue_postmortem_once(requester, category, agent_n1):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (CI runs on it)")
    ticket = make_major_ticket(requester=requester, category=category)
    resolve(ticket, agent=agent_n1)
    postmortem = Postmortem.objects.get(incident__ticket=ticket)
    later = postmortem.due_at + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(services.postmortems_remind(now=later).overdue)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(template="postmortem_overdue").count() == 1
    assert ticket.events.filter(data__incident="postmortem_overdue").count() == 1

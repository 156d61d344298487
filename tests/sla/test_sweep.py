"""The beat sweep `sla.tasks.check_sla_deadlines`: a warning at 75 % and a breach after the deadline,
each recorded once per ticket and target, notified, and handed to escalation through a signal.

A P3 on the default 24/7 policy: first response 4 h (warning at 3 h), resolution 48 h (warning at 36 h).
The clock is moved with time_machine and the task function is called directly (Celery is eager).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import group_members
from escalation.models import Escalation, EscalationRule, RuleFiring
from sla.models import SlaClock, SlaEvent, Stage, Target
from sla.services import sla_check_deadlines
from sla.signals import sla_breached
from sla.tasks import check_sla_deadlines
from tests.factories import UserFactory, advance, make_ticket, restore_reference_data
from tickets.models import EventKind, Notification, SlaState

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
RESPONSE_WARNING, RESPONSE_DUE = T0 + timedelta(hours=3), T0 + timedelta(hours=4)
RESOLUTION_WARNING, RESOLUTION_DUE = T0 + timedelta(hours=36), T0 + timedelta(hours=48)


@pytest.fixture(autouse=True)
def _reference_data(db):
    restore_reference_data()


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_agent_n1(db):
    return UserFactory(username="agent1b", groups=["N1"], first_name="Paul", last_name="Girard")


def recorded(ticket) -> list[tuple[str, str]]:
    """The ticket's SLA events as (target, stage), in order."""
    return list(SlaEvent.objects.filter(ticket=ticket).order_by("id").values_list("target", "stage"))


def sla_history(ticket) -> list[tuple[str, str]]:
    """The warnings and breaches written into the ticket's timeline."""
    return [(event.data["target"], event.data["sla"])
            for event in ticket.events.filter(kind=EventKind.SLA, data__sla__in=["warning", "breach"]).order_by("id")]


def sweep_at(frozen, moment: datetime) -> dict:
    frozen.move_to(moment)
    return check_sla_deadlines()


def sla_mail_recipients(mailoutbox, reference: str, subject: str) -> list[str]:
    return sorted(address for message in mailoutbox
                  if message.subject.startswith(f"[{reference}] {subject}") for address in message.to)


# --- Once each, in order


def test_the_response_clock_warns_once_at_75_percent_then_breaches_once_after_the_deadline(
    requester, category, frozen
):
    ticket = make_ticket(requester=requester, category=category)

    assert sweep_at(frozen, RESPONSE_WARNING - timedelta(seconds=1)) == {"checked": 0, "warnings": 0, "breaches": 0}
    assert recorded(ticket) == []

    assert sweep_at(frozen, RESPONSE_WARNING)["warnings"] == 1
    assert sweep_at(frozen, RESPONSE_WARNING + timedelta(minutes=1)) == {"checked": 0, "warnings": 0, "breaches": 0}
    assert recorded(ticket) == [(Target.RESPONSE, Stage.WARNING)]
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.WARNING

    assert sweep_at(frozen, RESPONSE_DUE - timedelta(seconds=1))["breaches"] == 0
    assert sweep_at(frozen, RESPONSE_DUE)["breaches"] == 1
    assert sweep_at(frozen, RESPONSE_DUE + timedelta(minutes=1))["breaches"] == 0

    assert recorded(ticket) == [(Target.RESPONSE, Stage.WARNING), (Target.RESPONSE, Stage.BREACH)]
    assert sla_history(ticket) == recorded(ticket)
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert SlaClock.objects.get(ticket=ticket, target=Target.RESPONSE).next_check_at is None


def test_response_and_resolution_are_warned_and_breached_separately(requester, category, frozen):
    ticket = make_ticket(requester=requester, category=category)

    for moment in (RESPONSE_WARNING, RESPONSE_DUE, RESOLUTION_WARNING, RESOLUTION_DUE):
        sweep_at(frozen, moment)
        sweep_at(frozen, moment)  # the minute after, or a second worker: nothing new

    expected = [(Target.RESPONSE, Stage.WARNING), (Target.RESPONSE, Stage.BREACH),
                (Target.RESOLUTION, Stage.WARNING), (Target.RESOLUTION, Stage.BREACH)]
    assert recorded(ticket) == expected
    assert sla_history(ticket) == expected
    assert [event.due_at for event in SlaEvent.objects.filter(ticket=ticket).order_by("id")] == [
        RESPONSE_DUE, RESPONSE_DUE, RESOLUTION_DUE, RESOLUTION_DUE]


def test_a_sweep_that_comes_after_the_deadline_records_the_breach_without_a_late_warning(
    requester, category, frozen
):
    ticket = make_ticket(requester=requester, category=category)

    sweep_at(frozen, RESPONSE_DUE + timedelta(minutes=30))
    sweep_at(frozen, RESPONSE_DUE + timedelta(minutes=31))

    assert recorded(ticket) == [(Target.RESPONSE, Stage.BREACH)]


def test_the_unique_constraint_refuses_a_second_event_even_if_the_clock_is_read_again(
    requester, category, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    # Not just the next_check_at bookkeeping: put the clock back as if a sweep had died after
    # recording and before moving it on. The (ticket, target, stage) constraint refuses the copy.
    ticket = make_ticket(requester=requester, category=category)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(frozen, RESPONSE_WARNING)
    notifications = Notification.objects.filter(event__ticket=ticket).count()

    SlaClock.objects.filter(ticket=ticket, target=Target.RESPONSE).update(next_check_at=RESPONSE_WARNING)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_at(frozen, RESPONSE_WARNING + timedelta(minutes=1))

    assert result == {"checked": 1, "warnings": 0, "breaches": 0}
    assert recorded(ticket) == [(Target.RESPONSE, Stage.WARNING)]
    assert sla_history(ticket) == [(Target.RESPONSE, Stage.WARNING)]
    assert Notification.objects.filter(event__ticket=ticket).count() == notifications


# --- What is not watched


def test_a_waiting_ticket_is_not_breached_for_resolution(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    advance(ticket, to="waiting", agent=agent_n1)

    sweep_at(frozen, RESOLUTION_WARNING)
    sweep_at(frozen, RESOLUTION_DUE + timedelta(days=3))

    assert recorded(ticket) == []


def test_a_resumed_ticket_is_warned_against_its_moved_deadline(requester, category, agent_n1, frozen):
    from tickets import services

    ticket = make_ticket(requester=requester, category=category)
    waiting = advance(ticket, to="waiting", agent=agent_n1)
    frozen.shift(timedelta(hours=10))
    services.ticket_resume(ticket=waiting, actor=agent_n1)

    sweep_at(frozen, RESOLUTION_WARNING + timedelta(hours=9, minutes=59))
    assert recorded(ticket) == []
    sweep_at(frozen, RESOLUTION_WARNING + timedelta(hours=10))
    assert recorded(ticket) == [(Target.RESOLUTION, Stage.WARNING)]


def test_met_clocks_are_not_checked(requester, category, agent_n1, frozen):
    taken = make_ticket(requester=requester, category=category)
    resolved = make_ticket(requester=requester, category=category, title="Écran noir")
    frozen.shift(timedelta(minutes=10))
    advance(taken, to="in_progress", agent=agent_n1)
    advance(resolved, to="resolved", agent=agent_n1)

    result = sweep_at(frozen, RESOLUTION_DUE + timedelta(days=1))

    # Only the taken ticket's resolution clock is read; met clocks are not even selected.
    assert result == {"checked": 1, "warnings": 0, "breaches": 1}
    assert recorded(taken) == [(Target.RESOLUTION, Stage.BREACH)]
    assert recorded(resolved) == []


def test_a_reopened_ticket_past_its_deadline_is_breached(requester, category, agent_n1, frozen):
    from tickets import services

    ticket = make_ticket(requester=requester, category=category)
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    frozen.move_to(RESOLUTION_DUE + timedelta(hours=1))
    services.ticket_reopen(ticket=resolved, actor=requester, reason="Toujours en panne.")

    check_sla_deadlines()

    assert recorded(ticket) == [(Target.RESOLUTION, Stage.BREACH)]


def test_a_sweep_out_of_time_stops_between_batches_and_leaves_the_rest_due(requester, category, frozen,
                                                                          monkeypatch):
    # Out of time, the sweep commits the batches it did and stops; it does not run on into the task's
    # soft time limit, which would roll the batch under way back.
    from sla import services as sla_services

    tickets = [make_ticket(requester=requester, category=category, title=f"Poste {i}") for i in range(5)]

    class OneSecondPerLook:
        ticks = iter(range(1000))

        def monotonic(self):
            return next(self.ticks)

    monkeypatch.setattr(sla_services, "time_module", OneSecondPerLook())

    # monotonic: 0 sets the deadline at 2.5; 1 and 2 let two batches of two clocks in; 3 stops.
    first = sla_check_deadlines(now=RESPONSE_WARNING, batch_size=2, time_budget=2.5)
    monkeypatch.undo()
    second = sla_check_deadlines(now=RESPONSE_WARNING)

    assert (first.checked, first.warnings, second.checked, second.warnings) == (4, 4, 1, 1)
    assert [recorded(ticket) for ticket in tickets] == [[(Target.RESPONSE, Stage.WARNING)]] * 5


# --- Notifications and escalation


def test_a_warning_emails_the_assignee_and_the_levels_group_not_the_managers(
    requester, category, agent_n1, other_agent_n1, agent_n2, manager, frozen, mailoutbox,
    django_capture_on_commit_callbacks,
):
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(frozen, RESOLUTION_WARNING)
        sweep_at(frozen, RESOLUTION_WARNING + timedelta(minutes=1))

    assert sla_mail_recipients(mailoutbox, ticket.reference, "Alerte SLA") == sorted(
        [agent_n1.email, other_agent_n1.email])
    assert len(mailoutbox) == 2


def test_a_breach_also_emails_the_managers(
    requester, category, agent_n1, other_agent_n1, agent_n2, manager, frozen, mailoutbox,
    django_capture_on_commit_callbacks,
):
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    sweep_at(frozen, RESOLUTION_WARNING)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(frozen, RESOLUTION_DUE)
        sweep_at(frozen, RESOLUTION_DUE + timedelta(minutes=1))

    assert sla_mail_recipients(mailoutbox, ticket.reference, "SLA dépassé") == sorted(
        [agent_n1.email, other_agent_n1.email, manager.email])
    # The breach goes to escalation, which tells the next level and the managers itself.
    assert sla_mail_recipients(mailoutbox, ticket.reference, "Escaladé") == sorted([agent_n2.email, manager.email])
    assert requester.email not in {address for message in mailoutbox for address in message.to}


def test_an_unassigned_ticket_warns_its_levels_group(
    requester, category, agent_n1, other_agent_n1, manager, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(requester=requester, category=category)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(frozen, RESPONSE_WARNING)

    assert sla_mail_recipients(mailoutbox, ticket.reference, "Alerte SLA") == sorted(
        [agent_n1.email, other_agent_n1.email])


def test_the_breach_signal_is_sent_once_per_breach(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    received = []

    def receiver(sender, breaches, **kwargs):
        received.extend((ticket.pk, target, event.data["sla"]) for ticket, target, event in breaches)

    sla_breached.connect(receiver, dispatch_uid="test_sweep.breach_signal")
    try:
        for moment in (RESPONSE_WARNING, RESPONSE_DUE, RESOLUTION_WARNING, RESOLUTION_DUE):
            sweep_at(frozen, moment)
            sweep_at(frozen, moment + timedelta(minutes=1))
    finally:
        sla_breached.disconnect(dispatch_uid="test_sweep.breach_signal")

    assert received == [(ticket.pk, Target.RESPONSE, "breach"), (ticket.pk, Target.RESOLUTION, "breach")]


def test_a_breach_hands_the_ticket_to_the_next_level_once(requester, category, agent_n1, agent_n2, frozen):
    ticket = make_ticket(requester=requester, category=category)

    sweep_at(frozen, RESPONSE_DUE)
    sweep_at(frozen, RESPONSE_DUE + timedelta(minutes=1))

    ticket.refresh_from_db()
    assert ticket.level == "N2"


def test_both_breaches_in_one_batch_move_the_ticket_up_twice_as_two_sweeps_would(requester, category, frozen):
    ticket = make_ticket(requester=requester, category=category)

    sweep_at(frozen, RESOLUTION_DUE)  # both clocks are past their deadline: one batch, two breaches

    ticket.refresh_from_db()
    assert ticket.level == "N3"
    assert list(Escalation.objects.filter(ticket=ticket).order_by("id").values_list("from_level", "to_level")) == [
        ("N1", "N2"), ("N2", "N3")]
    assert sorted(RuleFiring.objects.filter(ticket=ticket).values_list("cause", flat=True)) == [
        "sla:resolution", "sla:response"]


# --- Cost: the number of due clocks, not the number stored


# One due ticket's warning, on SQLite and PostgreSQL alike:
#  1. SAVEPOINT                                  the batch's transaction (nested in the test's)
#  2. SELECT clocks … WHERE next_check_at <= now FOR UPDATE SKIP LOCKED, joined to ticket and assignee
#  3. UPDATE the clocks' next_check_at (the deadline is next)       one statement for the batch
#  4. SELECT the SlaEvents already recorded for the batch's tickets
#  5. INSERT the new SlaEvents                                       one statement for the batch
#  6. UPDATE the tickets' sla_state (on_time → warning)              one per stage
#  7. INSERT the history events                                      one statement for the batch
#  8. SELECT the level group's members                               once per sweep and group
#  9. INSERT the notifications                                       one statement for the batch
# 10. RELEASE SAVEPOINT                                              the batch
@pytest.mark.parametrize("not_due", [4, 200])
def test_the_sweeps_query_count_does_not_grow_with_the_tickets_that_are_not_due(
    requester, category, agent_n1, other_agent_n1, frozen, not_due
):
    due = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(hours=1))
    for index in range(not_due):
        later = make_ticket(requester=requester, category=category, title=f"Poste {index}")
        if index % 2:
            advance(later, to="in_progress", agent=agent_n1)  # response met: out of the index entirely
    frozen.move_to(RESPONSE_WARNING)

    with CaptureQueriesContext(connection) as queries:
        result = check_sla_deadlines()

    assert result == {"checked": 1, "warnings": 1, "breaches": 0}
    assert recorded(due) == [(Target.RESPONSE, Stage.WARNING)]
    assert len(queries) == SWEEP_QUERIES_FOR_ONE_WARNING, "\n".join(q["sql"] for q in queries.captured_queries)


SWEEP_QUERIES_FOR_ONE_WARNING = 10


# The 18 of the test below, and from the database, once each: the breach rule, the dispatch's level settings and
# skilled levels, the N2 agents and the managers to notify.
BREACH_STATEMENTS_WITHOUT_CACHE = 23


@pytest.mark.parametrize("due", [1, 6])
def test_the_sweeps_statements_do_not_grow_with_the_breaches(requester, category, agent_n1, agent_n2, manager,
                                                             frozen, due):
    for i in range(due):
        make_ticket(requester=requester, category=category, title=f"Poste {i}")
    frozen.move_to(RESPONSE_DUE)
    group_members("N2")  # the reference cache warm, as after any earlier request (core.cache)

    with CaptureQueriesContext(connection) as queries:
        result = sla_check_deadlines(now=RESPONSE_DUE)

    assert result.breaches == due
    # The 9 of a warning (above, without its SAVEPOINT and RELEASE) and the N1 and manager groups; then the
    # breach rule: the firings recorded and their INSERT, the tickets' UPDATE, the two history INSERTs, the
    # log's INSERT, the notifications' INSERT. The rule, the N2 agents and the managers come from the
    # reference cache (core.cache). The dispatch's level settings and skilled levels too (nobody
    # holds a skill: the tickets stay with N2's group, no query).
    assert len(queries) == 18, "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("due", [1, 6])
def test_without_the_reference_cache_the_sweeps_statements_do_not_grow_either(requester, category, agent_n1,
                                                                              agent_n2, manager, frozen, due,
                                                                              settings):
    """The embedded default runs without the reference cache, and a Redis outage turns it off: what the cache
    holds is then read once per sweep, not once per breached ticket (100 due clocks made 114 statements and a
    burst of 10,000, 9,357: bench/sla_sweep.py, session 13)."""
    for i in range(due):
        make_ticket(requester=requester, category=category, title=f"Poste {i}")
    frozen.move_to(RESPONSE_DUE)
    settings.HELPDESK_REFERENCE_CACHE = False

    with CaptureQueriesContext(connection) as queries:
        result = sla_check_deadlines(now=RESPONSE_DUE)

    assert result.breaches == due
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == BREACH_STATEMENTS_WITHOUT_CACHE, "\n".join(statements)


def test_the_sweep_with_nothing_due_is_a_single_select(requester, category, frozen, django_assert_num_queries):
    make_ticket(requester=requester, category=category)

    # SAVEPOINT, the indexed SELECT that finds nothing, RELEASE.
    with django_assert_num_queries(3):
        assert check_sla_deadlines() == {"checked": 0, "warnings": 0, "breaches": 0}


# --- Two workers at once (PostgreSQL: row locks and concurrent transactions)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_each_event_exactly_once(requester, category, agent_n1, manager,
                                                           django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (CI runs on it)")
    # Breaches are not escalated here: this test is about the clocks' events. Escalation once per breach
    # is tested above and in tests/escalation; reloading tickets from threads at once is safe
    # (core.fsm.ThreadSafeRefreshMixin, tests/test_fsm_refresh_threads.py).
    EscalationRule.objects.filter(code="sla_breach").update(is_active=False)
    with time_machine.travel(T0, tick=False):
        tickets = [make_ticket(requester=requester, category=category, title=f"Poste {i}") for i in range(6)]
        for ticket in tickets[:3]:
            advance(ticket, to="in_progress", agent=agent_n1)  # response met: resolution only
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep(moment):
        try:
            barrier.wait()
            results.append(sla_check_deadlines(now=moment, batch_size=2))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    for moment in (RESPONSE_WARNING, RESPONSE_DUE, RESOLUTION_DUE):
        threads = [threading.Thread(target=sweep, args=(moment,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sum(result.warnings for result in results) == 3
    assert sum(result.breaches for result in results) == 3 + 6
    for ticket in tickets[:3]:
        assert recorded(ticket) == [(Target.RESOLUTION, Stage.BREACH)]
    for ticket in tickets[3:]:
        assert recorded(ticket) == [(Target.RESPONSE, Stage.WARNING), (Target.RESPONSE, Stage.BREACH),
                                    (Target.RESOLUTION, Stage.BREACH)]
    for ticket in tickets:
        assert sla_history(ticket) == recorded(ticket)
        events = ticket.events.filter(kind=EventKind.SLA, data__sla__in=["warning", "breach"])
        per_recipient = Notification.objects.filter(event__in=events).values_list("event_id", "recipient_id")
        assert len(per_recipient) == len(set(per_recipient))


@pytest.mark.django_db(transaction=True)
def test_an_agent_taking_a_ticket_while_the_sweep_holds_its_clock_is_not_deadlocked(
    requester, category, agent_n1, monkeypatch
):
    # Services lock the ticket, then its clock (take → sla_mark_met). The sweep must not lock the clock
    # and then wait for the ticket (its event insert and sla_state update touch the ticket row): that is
    # a deadlock, and PostgreSQL would kill the take or the whole batch.
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (CI runs on it)")
    from sla import services as sla_services
    from tickets import services
    from tickets.models import Ticket

    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(requester=requester, category=category)
    sweep_has_its_rows = threading.Event()
    original = sla_services._check_batch
    errors = []

    def check_once_the_agent_waits(clocks, **kwargs):
        sweep_has_its_rows.set()
        # Go on only once the agent's transaction is blocked on a lock this sweep holds.
        with connection.cursor() as cursor:
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
        return original(clocks, **kwargs)

    monkeypatch.setattr(sla_services, "_check_batch", check_once_the_agent_waits)

    def sweep():
        try:
            sla_check_deadlines(now=RESPONSE_DUE)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def take():
        try:
            sweep_has_its_rows.wait(10)
            services.ticket_take(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent_n1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    import time

    threads = [threading.Thread(target=sweep), threading.Thread(target=take)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert recorded(ticket) == [(Target.RESPONSE, Stage.BREACH)]
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    response = SlaClock.objects.get(ticket=ticket, target=Target.RESPONSE)
    assert response.met_at is not None and response.state() == "breached"  # met, but late

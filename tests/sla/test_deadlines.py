"""Deadlines stored on the ticket: set at creation from the policy that applies, recomputed on a
priority change, moved by waiting, and the clocks marked met by the first response and the solution.

The clock is frozen (time_machine, tick=False): every instant below is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.models import BusinessCalendar, SlaClock, SlaPolicy, SlaTarget, Target, WorkingHours
from tests.factories import OrganisationFactory, UserFactory, advance, make_ticket, restore_reference_data
from tickets import services
from tickets.models import EventKind, Scale

PARIS = ZoneInfo("Europe/Paris")
# Tuesday 10 March 2026, 09:00 UTC (10:00 in Paris).
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def p1_ticket(requester, category):
    return make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)


def clock(ticket, target: str) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, target=target)


def sla_history(ticket) -> list[dict]:
    return [event.data for event in ticket.events.filter(kind=EventKind.SLA).order_by("id")]


@pytest.fixture(autouse=True)
def _reference_data(db):
    restore_reference_data()


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office_calendar(db) -> BusinessCalendar:
    """Monday–Friday 9:00–18:00 in Paris, French public holidays."""
    calendar = BusinessCalendar.objects.create(name="Bureau 9h–18h", time_zone="Europe/Paris", holiday_country="FR")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=time(9), end=time(18)) for day in range(5)
    )
    return calendar


def make_policy(name: str, calendar: BusinessCalendar, *, p3: tuple[int, str, int, str], **scope) -> SlaPolicy:
    policy = SlaPolicy.objects.create(name=name, calendar=calendar, **scope)
    response_value, response_unit, resolution_value, resolution_unit = p3
    SlaTarget.objects.create(policy=policy, priority="P3", response_value=response_value, response_unit=response_unit,
                             resolution_value=resolution_value, resolution_unit=resolution_unit)
    return policy


# --- At creation


def test_a_p1_gets_its_deadlines_from_the_default_policy_at_creation(requester, category, frozen):
    ticket = p1_ticket(requester, category)

    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    assert ticket.response_due_at == T0 + timedelta(minutes=15)
    assert ticket.resolution_due_at == T0 + timedelta(hours=4)
    response, resolution = clock(ticket, Target.RESPONSE), clock(ticket, Target.RESOLUTION)
    # 75 % of the target: the warning time is what the sweep looks at first.
    assert (response.warn_at, response.next_check_at) == (T0 + timedelta(minutes=11, seconds=15),) * 2
    assert (resolution.warn_at, resolution.next_check_at) == (T0 + timedelta(hours=3),) * 2
    assert response.policy.is_default and resolution.policy.is_default


@pytest.mark.parametrize(
    ("urgency", "impact", "response", "resolution"),
    [(Scale.HIGH, Scale.MEDIUM, timedelta(hours=1), timedelta(hours=8)),
     (Scale.MEDIUM, Scale.MEDIUM, timedelta(hours=4), timedelta(hours=48)),
     (Scale.LOW, Scale.LOW, timedelta(hours=24), timedelta(days=5))],
    ids=["P2", "P3", "P4"],
)
def test_each_priority_gets_the_default_targets_of_the_spec(requester, category, frozen, urgency, impact, response,
                                                           resolution):
    ticket = make_ticket(requester=requester, category=category, urgency=urgency, impact=impact)

    ticket.refresh_from_db()
    assert (ticket.response_due_at, ticket.resolution_due_at) == (T0 + response, T0 + resolution)


def test_creation_writes_no_separate_deadline_event(requester, category, frozen):
    # The created event says it all; deadline events are for changes.
    ticket = make_ticket(requester=requester, category=category)

    assert sla_history(ticket) == []


def test_the_tickets_insert_writes_its_deadlines_no_update_after(requester, category, frozen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        ticket = p1_ticket(requester, category)

    writes = [query["sql"] for query in captured.captured_queries if query["sql"].lstrip().startswith("UPDATE")]
    assert not [sql for sql in writes if "due_at" in sql and '"tickets_ticket"' in sql.split("SET")[0]], writes
    ticket.refresh_from_db()
    assert (ticket.response_due_at, ticket.resolution_due_at) == (T0 + timedelta(minutes=15), T0 + timedelta(hours=4))


@pytest.mark.parametrize("organisation", [False, True], ids=["default-policy", "organisations-policy"])
def test_the_clocks_planned_before_the_insert_equal_a_recomputation(requester, category, office_calendar,
                                                                    organisation):
    # The fast path (computed before the ticket's INSERT, written after it) against the slow one
    # (sla_start_clocks recomputing from the saved ticket): the same deadlines, warnings, checks and policy.
    from sla import services as sla_services

    if organisation:
        gold = OrganisationFactory(name="Gold SA", contract="Gold")
        requester = UserFactory(username="gold_requester", organisation=gold)
        make_policy("Gold SA", office_calendar, p3=(30, "minutes", 4, "hours"), organisation=gold)
    with time_machine.travel(paris(2026, 3, 6, 17, 30), tick=False):
        ticket = make_ticket(requester=requester, category=category)
        created = {c.target: c for c in SlaClock.objects.filter(ticket=ticket)}
        ticket = type(ticket).objects.get(pk=ticket.pk)
        deadlines = (ticket.response_due_at, ticket.resolution_due_at)
        recomputed = sla_services.sla_start_clocks(ticket=ticket, reason="check")

    fields = ("policy_id", "started_at", "duration_seconds", "due_at", "warn_at", "next_check_at", "met_at",
              "paused_at", "paused_seconds")
    assert set(created) == set(recomputed) == {Target.RESPONSE, Target.RESOLUTION}
    for target, clock_row in created.items():
        assert [getattr(clock_row, f) for f in fields] == [getattr(recomputed[target], f) for f in fields]
    assert deadlines == (recomputed[Target.RESPONSE].due_at, recomputed[Target.RESOLUTION].due_at)
    assert deadlines[0] is not None
    assert sla_history(ticket) == []  # nothing changed: no deadline event


def test_the_receivers_of_ticket_created_see_the_deadlines(requester, category, frozen):
    from tickets.signals import ticket_created

    seen = {}

    def on_created(sender, ticket, **kwargs):
        seen["deadlines"] = (ticket.response_due_at, ticket.resolution_due_at)
        seen["clocks"] = SlaClock.objects.filter(ticket=ticket).count()

    ticket_created.connect(on_created, dispatch_uid="test.deadlines_seen")
    try:
        p1_ticket(requester, category)
    finally:
        ticket_created.disconnect(dispatch_uid="test.deadlines_seen")

    assert seen == {"deadlines": (T0 + timedelta(minutes=15), T0 + timedelta(hours=4)), "clocks": 2}


def test_an_organisations_own_policy_takes_precedence_over_its_contract_and_the_default(
    requester, category, office_calendar
):
    gold = OrganisationFactory(name="Gold SA", contract="Gold")
    customer = UserFactory(username="gold_requester", organisation=gold)
    make_policy("Contrat Gold", office_calendar, p3=(1, "hours", 8, "hours"), contract="Gold")
    own = make_policy("Gold SA", office_calendar, p3=(30, "minutes", 4, "hours"), organisation=gold)

    # Friday 6 March 2026, 17:30 in Paris.
    with time_machine.travel(paris(2026, 3, 6, 17, 30), tick=False):
        ticket = make_ticket(requester=customer, category=category)

    ticket.refresh_from_db()
    assert clock(ticket, Target.RESPONSE).policy == own
    # 30 working minutes: Friday 18:00. 4 working hours: 30 min Friday, 3 h 30 Monday.
    assert ticket.response_due_at == paris(2026, 3, 6, 18, 0)
    assert ticket.resolution_due_at == paris(2026, 3, 9, 12, 30)


def test_a_contracts_policy_applies_to_its_organisations_without_their_own(requester, category, office_calendar):
    silver = OrganisationFactory(name="Silver SARL", contract="Gold")
    customer = UserFactory(username="silver_requester", organisation=silver)
    contract = make_policy("Contrat Gold", office_calendar, p3=(1, "hours", 8, "hours"), contract="Gold")

    with time_machine.travel(paris(2026, 3, 6, 17, 30), tick=False):
        ticket = make_ticket(requester=customer, category=category)

    ticket.refresh_from_db()
    assert clock(ticket, Target.RESOLUTION).policy == contract
    # 1 working hour: 30 min Friday, 30 min Monday. 8 h: 30 min Friday, 7 h 30 Monday.
    assert ticket.response_due_at == paris(2026, 3, 9, 9, 30)
    assert ticket.resolution_due_at == paris(2026, 3, 9, 16, 30)


def test_a_requester_without_organisation_gets_the_default_policy_even_when_others_exist(
    requester, category, office_calendar, frozen
):
    make_policy("Contrat Gold", office_calendar, p3=(1, "hours", 8, "hours"), contract="Gold")

    ticket = make_ticket(requester=requester, category=category)

    ticket.refresh_from_db()
    assert clock(ticket, Target.RESPONSE).policy.is_default
    assert ticket.response_due_at == T0 + timedelta(hours=4)


# --- Priority change


def test_changing_the_priority_recomputes_the_deadlines_and_says_so_in_the_history(
    requester, category, agent_n1, frozen
):
    ticket = make_ticket(requester=requester, category=category)  # P3: 4 h / 48 h
    frozen.shift(timedelta(minutes=5))

    services.ticket_change_priority(ticket=ticket, actor=agent_n1, priority="P1", reason="Tout le site est tombé")

    ticket.refresh_from_db()
    # From the creation, not from the change.
    assert ticket.response_due_at == T0 + timedelta(minutes=15)
    assert ticket.resolution_due_at == T0 + timedelta(hours=4)
    assert clock(ticket, Target.RESPONSE).next_check_at == T0 + timedelta(minutes=11, seconds=15)
    [event] = sla_history(ticket)
    assert event["sla"] == "deadlines"
    assert event["reason"] == "priority P3 → P1"
    assert event["response_due_at"] == (T0 + timedelta(minutes=15)).isoformat()
    assert event["resolution_due_at"] == (T0 + timedelta(hours=4)).isoformat()


def test_a_priority_change_keeps_a_response_already_met(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(minutes=10))
    working = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P2", reason="Fonction clé en panne")

    response = clock(ticket, Target.RESPONSE)
    assert response.met_at == T0 + timedelta(minutes=10)
    assert response.next_check_at is None
    assert response.due_at == T0 + timedelta(hours=1)


# --- Waiting pauses the resolution clock


def test_waiting_pauses_the_resolution_clock_and_resume_moves_the_deadline_by_the_pause(
    requester, category, agent_n1, frozen
):
    ticket = make_ticket(requester=requester, category=category)  # P3: resolution T0 + 48 h
    frozen.shift(timedelta(minutes=10))
    waiting = advance(ticket, to="waiting", agent=agent_n1)

    paused = clock(ticket, Target.RESOLUTION)
    assert paused.paused_at == T0 + timedelta(minutes=10)
    assert paused.next_check_at is None  # the sweep does not even read it

    frozen.shift(timedelta(hours=2))
    services.ticket_resume(ticket=waiting, actor=agent_n1)

    ticket.refresh_from_db()
    assert ticket.resolution_due_at == T0 + timedelta(hours=50)
    assert ticket.response_due_at == T0 + timedelta(hours=4)  # the response clock does not pause
    resumed = clock(ticket, Target.RESOLUTION)
    assert (resumed.paused_at, resumed.paused_seconds) == (None, 2 * 3600)
    assert resumed.warn_at == T0 + timedelta(hours=38)  # 75 % of 48 h, plus the pause
    assert resumed.next_check_at == resumed.warn_at
    assert sla_history(ticket)[-1]["reason"] == "resumed"
    assert sla_history(ticket)[-1]["resolution_due_at"] == (T0 + timedelta(hours=50)).isoformat()


def test_a_requesters_reply_resumes_the_clock_too(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    advance(ticket, to="waiting", agent=agent_n1)
    frozen.shift(timedelta(hours=3))

    services.followup_add(ticket=ticket, author=requester, body="C'est la version 12.")

    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.resolution_due_at == T0 + timedelta(hours=51)


def test_two_pauses_add_up(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    working = advance(ticket, to="waiting", agent=agent_n1)
    for pause in (timedelta(hours=1), timedelta(minutes=30)):
        frozen.shift(pause)
        working = services.ticket_resume(ticket=working, actor=agent_n1)
        frozen.shift(timedelta(minutes=10))
        working = services.ticket_wait(ticket=working, actor=agent_n1, message="Une capture d'écran ?")
    frozen.shift(timedelta(hours=2))
    services.ticket_resume(ticket=working, actor=agent_n1)

    ticket.refresh_from_db()
    assert ticket.resolution_due_at == T0 + timedelta(hours=48) + timedelta(hours=3, minutes=30)


def test_on_a_business_calendar_a_wait_over_the_weekend_moves_the_deadline_by_working_time_only(
    requester, category, agent_n1, office_calendar
):
    acme = OrganisationFactory(name="Acme")
    customer = UserFactory(username="acme_requester", organisation=acme)
    make_policy("Acme", office_calendar, p3=(4, "hours", 48, "hours"), organisation=acme)
    # Thursday 5 March 2026, 10:00. 48 working hours: 8 h Thursday, 9 h × 4 (Fri, Mon, Tue, Wed), 4 h the
    # next Thursday: due Thursday 12 March, 13:00.
    with time_machine.travel(paris(2026, 3, 5, 10, 0), tick=False) as traveller:
        ticket = make_ticket(requester=customer, category=category)
        ticket.refresh_from_db()
        assert ticket.resolution_due_at == paris(2026, 3, 12, 13, 0)
        traveller.move_to(paris(2026, 3, 5, 10, 5))
        working = advance(ticket, to="in_progress", agent=agent_n1)
        # Waiting from Friday 17:00 to Monday 10:00: 65 hours on the wall clock, 2 working hours.
        traveller.move_to(paris(2026, 3, 6, 17, 0))
        working = services.ticket_wait(ticket=working, actor=agent_n1, message="Pouvez-vous redémarrer ?")
        traveller.move_to(paris(2026, 3, 9, 10, 0))
        services.ticket_resume(ticket=working, actor=agent_n1)

    ticket.refresh_from_db()
    assert clock(ticket, Target.RESOLUTION).paused_seconds == 2 * 3600
    assert ticket.resolution_due_at == paris(2026, 3, 12, 15, 0)


# --- Met


def test_take_marks_the_first_response_met(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(minutes=7))

    advance(ticket, to="in_progress", agent=agent_n1)

    response = clock(ticket, Target.RESPONSE)
    assert response.met_at == T0 + timedelta(minutes=7)
    assert response.next_check_at is None
    assert response.state() == "met"
    assert clock(ticket, Target.RESOLUTION).met_at is None


def test_an_agents_first_public_reply_marks_the_first_response_met(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(minutes=3))
    services.followup_add(ticket=ticket, author=agent_n1, body="Je regarde les journaux.", is_public=False)
    services.followup_add(ticket=ticket, author=requester, body="Merci de faire vite.")
    assert clock(ticket, Target.RESPONSE).met_at is None  # a private note or the requester: not a response

    frozen.shift(timedelta(minutes=2))
    services.followup_add(ticket=ticket, author=agent_n1, body="Bonjour, pouvez-vous redémarrer ?")

    response = clock(ticket, Target.RESPONSE)
    assert response.met_at == T0 + timedelta(minutes=5)
    assert response.next_check_at is None
    ticket.refresh_from_db()
    assert ticket.status == "new"  # a reply is not a take


def test_a_late_first_response_is_recorded_as_met_late(requester, category, agent_n1, frozen):
    ticket = p1_ticket(requester, category)
    frozen.shift(timedelta(minutes=20))

    advance(ticket, to="in_progress", agent=agent_n1)

    response = clock(ticket, Target.RESPONSE)
    assert response.met_at == T0 + timedelta(minutes=20)
    assert response.state() == "breached"


def test_resolve_marks_the_resolution_met(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(hours=1))

    advance(ticket, to="resolved", agent=agent_n1)

    resolution = clock(ticket, Target.RESOLUTION)
    assert resolution.met_at == T0 + timedelta(hours=1)
    assert resolution.next_check_at is None


def test_reopen_makes_the_resolution_clock_run_again_against_its_deadline(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)
    frozen.shift(timedelta(hours=1))
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    frozen.shift(timedelta(hours=1))

    services.ticket_reopen(ticket=resolved, actor=requester, reason="L'imprimante ne marche toujours pas.")

    resolution = clock(ticket, Target.RESOLUTION)
    assert resolution.met_at is None
    assert resolution.due_at == T0 + timedelta(hours=48)
    assert resolution.next_check_at == T0 + timedelta(hours=36)
    assert resolution.state() == "on_time"
    assert clock(ticket, Target.RESPONSE).met_at == T0 + timedelta(hours=1)  # still met


def test_closing_stops_both_clocks(requester, category, agent_n1, frozen):
    ticket = make_ticket(requester=requester, category=category)

    advance(ticket, to="closed", agent=agent_n1)

    assert list(SlaClock.objects.filter(ticket=ticket).values_list("next_check_at", flat=True)) == [None, None]

"""Automatic escalation rules: each fires once and only once per cause."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.selectors import group_members
from escalation.models import Escalation, EscalationRule, RuleFiring
from escalation.services import escalate_stalled
from escalation.tasks import escalate_stalled_tickets
from sla.services import sla_check_deadlines
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Scale


@pytest.fixture
def agent_n4(db):
    return UserFactory(username="agent4", groups=["N4"])


def test_stalled_diagnostic_escalates_once_after_thirty_minutes_without_activity(ticket, agent_n1, agent_n2):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        working = advance(ticket, to="in_progress", agent=agent_n1)
        clock.shift(timedelta(minutes=29))
        assert escalate_stalled_tickets() == 0
        clock.shift(timedelta(minutes=2))

        assert escalate_stalled_tickets() == 1
        assert escalate_stalled_tickets() == 0

    working.refresh_from_db()
    assert working.level == "N2"
    escalation = Escalation.objects.get(ticket=working)
    assert (escalation.reason, escalation.rule.code, escalation.actor) == ("diagnostic_timeout",
                                                                           "stalled_diagnostic", None)


def test_a_stalled_ticket_gets_the_timeline_notifications_and_log_of_a_rule_escalation(ticket, agent_n1,
                                                                                        agent_n2, mailoutbox,
                                                                                        django_capture_on_commit_callbacks):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_stalled(now=timezone.now() + timedelta(hours=1)) == 1

    working.refresh_from_db()
    assert (working.level, working.status, working.assignee) == ("N2", "in_progress", None)
    kinds = list(working.events.order_by("id").values_list("kind", "is_public"))[-2:]
    assert kinds == [("level_changed", False), ("escalation", True)]
    level_event = working.events.get(kind="level_changed")
    assert level_event.data == {"from": "N1", "to": "N2", "reason": "diagnostic_timeout",
                                "rule": "stalled_diagnostic", "note": "", "assignee": None}
    assert [m.to for m in mailoutbox if agent_n2.email in m.to] == [[agent_n2.email]]
    assert RuleFiring.objects.get(ticket=working).cause.startswith("stalled:v")


@pytest.mark.parametrize("stalled", [1, 8])
def test_the_sweeps_statements_do_not_grow_with_the_stalled_tickets(requester, category, agent_n1, agent_n2,
                                                                    stalled, django_assert_num_queries):
    for _ in range(stalled):
        advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)

    group_members("N2")  # the reference cache warm, as after any earlier request (core.cache)
    # SAVEPOINT; the stalled tickets, locked; the firings already recorded; their INSERT; the UPDATE; the
    # two INSERTs of history; the log's INSERT; the notifications' INSERT; RELEASE. The rule and the N2
    # agents come from the reference cache. The dispatch's level settings and skilled levels too
    # (nobody holds a skill: no decision, no query).
    with django_assert_num_queries(10):
        assert escalate_stalled(now=timezone.now() + timedelta(hours=1)) == stalled
    assert Escalation.objects.filter(rule__code="stalled_diagnostic").count() == stalled


@pytest.mark.parametrize("stalled", [1, 8])
def test_without_the_reference_cache_the_sweeps_statements_do_not_grow_either(requester, category, agent_n1,
                                                                              agent_n2, stalled, settings,
                                                                              django_assert_num_queries):
    """The embedded default runs without the reference cache, and a Redis outage turns it off: the rule, the N2
    agents and the dispatch's level settings are then read from the database once per sweep, not once per ticket
    (a sweep of 100 tickets made 213 statements, bench/escalation_sweep.py, session 13)."""
    for _ in range(stalled):
        advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    settings.HELPDESK_REFERENCE_CACHE = False
    # The ten of the test above, and from the database: the rule, the level settings, the skilled levels, the
    # N2 agents.
    with django_assert_num_queries(14):
        assert escalate_stalled(now=timezone.now() + timedelta(hours=1)) == stalled


def test_agent_activity_resets_the_stall_clock(ticket, agent_n1):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        working = advance(ticket, to="in_progress", agent=agent_n1)
        clock.shift(timedelta(minutes=20))
        services.followup_add(ticket=working, author=agent_n1, body="Je regarde les journaux.", is_public=False)
        clock.shift(timedelta(minutes=20))

        assert escalate_stalled_tickets() == 0


def test_stalled_rule_ignores_closed_waiting_and_root_caused_tickets(requester, agent_n1, category):
    waiting = advance(make_ticket(requester=requester, category=category), to="waiting", agent=agent_n1)
    closed = advance(make_ticket(requester=requester, category=category), to="closed", agent=agent_n1)

    assert escalate_stalled(now=timezone.now() + timedelta(hours=2)) == 0
    waiting.refresh_from_db()
    closed.refresh_from_db()
    assert (waiting.level, closed.level) == ("N1", "N1")


def test_a_switched_off_rule_does_not_fire(ticket, agent_n1):
    rule = EscalationRule.objects.get(code="stalled_diagnostic")
    rule.is_active = False
    rule.save()  # as the rules page saves it: the cached rules get a new version (core.cache)
    advance(ticket, to="in_progress", agent=agent_n1)

    assert escalate_stalled(now=timezone.now() + timedelta(hours=2)) == 0


def test_the_threshold_is_configurable(ticket, agent_n1):
    rule = EscalationRule.objects.get(code="stalled_diagnostic")
    rule.threshold_minutes = 90
    rule.save()
    advance(ticket, to="in_progress", agent=agent_n1)

    assert escalate_stalled(now=timezone.now() + timedelta(minutes=60)) == 0
    assert escalate_stalled(now=timezone.now() + timedelta(minutes=91)) == 1


def test_sla_breach_escalates_once_and_notifies_managers(ticket, agent_n1, agent_n2, manager, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    working = advance(ticket, to="in_progress", agent=agent_n1)
    mailoutbox.clear()
    later = timezone.now() + timedelta(days=10)

    with django_capture_on_commit_callbacks(execute=True):
        sla_check_deadlines(now=later)
        sla_check_deadlines(now=later)

    working.refresh_from_db()
    assert working.level == "N2"
    assert Escalation.objects.filter(ticket=working, reason="sla_breach").count() == 1
    escalation_mails = [m for m in mailoutbox if "N2" in m.subject]
    assert {address for m in escalation_mails for address in m.to} == {agent_n2.email, manager.email}


def test_vip_organisation_ticket_starts_at_n2(category):
    vip = OrganisationFactory(name="Acme VIP", is_vip=True)
    requester = UserFactory(username="vip_requester", organisation=vip)

    ticket = make_ticket(requester=requester, category=category)

    ticket.refresh_from_db()
    assert ticket.level == "N2"
    assert Escalation.objects.get(ticket=ticket).reason == "vip"


def test_a_vip_ticket_inserted_at_n2_tells_the_level_change_as_a_rule_move_would(category, agent_n2):
    """The VIP rule sets the level before the ticket's INSERT: the history, the escalation log and the firing say
    what they said when the ticket was created at N1 and moved by the rule (the dispatch and the webhooks hear the
    same level change: tests/dispatch, tests/webhooks)."""
    vip = OrganisationFactory(name="Acme VIP", is_vip=True)
    requester = UserFactory(username="vip_requester", organisation=vip)
    rule = EscalationRule.objects.get(code="vip_start")

    ticket = make_ticket(requester=requester, category=category)

    ticket.refresh_from_db()
    history = list(ticket.events.order_by("id").values_list("kind", "is_public", "actor_id", "data"))
    assert [(kind, public, actor) for kind, public, actor, _data in history] == [
        ("created", True, requester.pk), ("level_changed", False, None), ("escalation", True, None)]
    assert history[1][3] == {"from": "N1", "to": "N2", "reason": "vip", "rule": rule.code, "note": "",
                             "assignee": None}
    assert history[2][3] == {"to": "N2"}
    logged = Escalation.objects.get(ticket=ticket)
    assert (logged.from_level, logged.to_level, logged.reason, logged.rule_id, logged.actor) == (
        "N1", "N2", "vip", rule.code, None)
    assert list(RuleFiring.objects.filter(ticket=ticket).values_list("rule__code", "cause")) == [
        (rule.code, "created")]


def test_a_vip_rule_that_targets_n3_starts_the_ticket_at_n3(category):
    rule = EscalationRule.objects.get(code="vip_start")
    rule.target_level = "N3"
    rule.save()  # its post_save gives the rules' cache a new version
    requester = UserFactory(username="contract_requester",
                            organisation=OrganisationFactory(name="Sous contrat", contract="Contrat or"))

    ticket = make_ticket(requester=requester, category=category)

    ticket.refresh_from_db()
    assert ticket.level == "N3"
    assert Escalation.objects.get(ticket=ticket).to_level == "N3"


def test_a_vip_ticket_when_the_rule_is_off_starts_at_n1(category):
    rule = EscalationRule.objects.get(code="vip_start")
    rule.is_active = False
    rule.save()
    requester = UserFactory(username="vip_requester", organisation=OrganisationFactory(name="Acme", is_vip=True))

    ticket = make_ticket(requester=requester, category=category)

    ticket.refresh_from_db()
    assert ticket.level == "N1"
    assert not Escalation.objects.filter(ticket=ticket).exists()
    assert not ticket.events.filter(kind__in=["level_changed", "escalation"]).exists()


def test_a_recurring_vip_ticket_writes_both_firings_in_one_insert(category, agent_n2):
    from django.test.utils import CaptureQueriesContext

    vip = OrganisationFactory(name="Acme VIP", is_vip=True)
    requester = UserFactory(username="vip_requester", organisation=vip)
    for _ in range(2):
        make_ticket(requester=requester, category=category)

    with CaptureQueriesContext(connection) as captured:
        third = make_ticket(requester=requester, category=category)

    third.refresh_from_db()
    assert third.is_recurring and third.level == "N2"
    assert set(RuleFiring.objects.filter(ticket=third).values_list("rule__code", "cause")) == {
        ("vip_start", "created"), ("recurring", "created")}
    firing_inserts = [q["sql"] for q in captured.captured_queries
                      if q["sql"].lstrip().upper().startswith("INSERT") and "escalation_rulefiring" in q["sql"]]
    assert len(firing_inserts) == 1
    assert list(third.events.order_by("id").values_list("kind", flat=True)) == [
        "created", "flagged", "level_changed", "escalation"]


def test_p1_alerts_n4_and_adds_them_as_participants_once(requester, category, agent_n1, agent_n4, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)

    assert list(ticket.participants.all()) == [agent_n4]
    assert any(agent_n4.email in m.to for m in mailoutbox)
    working = advance(ticket, to="in_progress", agent=agent_n1)
    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P2", reason="moins grave")
    working.refresh_from_db()
    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P1", reason="à nouveau critique")
    assert RuleFiring.objects.filter(ticket=ticket, rule__code="p1_alert").count() == 1


def test_priority_raised_to_p1_alerts_n4(ticket, agent_n1, agent_n4):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P1", reason="site down")

    assert list(working.participants.all()) == [agent_n4]


def test_third_ticket_in_the_same_category_within_thirty_days_is_flagged_recurring(requester, agent_n2):
    category = CategoryFactory(name="Imprimantes")
    first = make_ticket(requester=requester, category=category)
    second = make_ticket(requester=requester, category=category)
    other_category = make_ticket(requester=requester, category=CategoryFactory(name="Wi-Fi"))

    third = make_ticket(requester=requester, category=category)

    for ticket in (first, second, other_category):
        ticket.refresh_from_db()
        assert not ticket.is_recurring
    third.refresh_from_db()
    assert third.is_recurring
    assert third.events.filter(kind="flagged").count() == 1


def test_the_organisations_fifth_ticket_in_a_category_is_recurring_whoever_asks(agent_n2,
                                                                              django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category = CategoryFactory(name="Caisse enregistreuse")
    colleagues = [UserFactory(username=f"vendeur{n}", organisation=organisation) for n in range(5)]
    firsts = [make_ticket(requester=colleague, category=category) for colleague in colleagues[:4]]

    with django_capture_on_commit_callbacks(execute=True):
        fifth = make_ticket(requester=colleagues[4], category=category)

    assert not any(ticket.is_recurring for ticket in firsts)
    fifth.refresh_from_db()
    assert fifth.is_recurring
    event = fifth.events.get(kind="flagged")
    assert (event.data["reason"], event.data["scope"], event.data["count"]) == ("recurring", "organisation", 5)
    flagged = [m for m in mail.outbox if fifth.reference in m.subject and agent_n2.email in m.to]
    assert flagged and "5 tickets de la même organisation" in flagged[0].body


@pytest.mark.parametrize("earlier", [5, 6, 9])
def test_each_recurring_count_stops_at_its_limit_and_says_more_than(agent_n2, monkeypatch, earlier,
                                                                   django_capture_on_commit_callbacks):
    """The rule counts up to RECURRING_COUNTED earlier tickets per scope (at least its thresholds): an outage's
    thousands of tickets are not all counted at each submission; past the limit the evidence and the N2 email say
    "more than" the limit."""
    from escalation import services as escalation_services

    monkeypatch.setattr(escalation_services, "RECURRING_COUNTED", 5)  # the organisation's threshold is 5 too
    rule = EscalationRule.objects.get(code="recurring")
    rule.alert_quiet_hours = 0  # each flagged ticket alerts N2 (the earlier ones would have made this one quiet)
    rule.save()
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category = CategoryFactory(name="Caisse enregistreuse")
    colleagues = [UserFactory(username=f"vendeur{n}", organisation=organisation) for n in range(earlier + 1)]
    for colleague in colleagues[:earlier]:
        make_ticket(requester=colleague, category=category)

    with django_capture_on_commit_callbacks(execute=True):
        last = make_ticket(requester=colleagues[earlier], category=category)

    event = last.events.get(kind="flagged")
    assert (event.data["scope"], event.data["count"], event.data.get("more")) == ("organisation", 5, True)
    flagged = [m for m in mail.outbox if last.reference in m.subject and agent_n2.email in m.to]
    assert flagged and "Plus de 5 tickets de la même organisation" in flagged[0].body


def test_below_the_limit_the_count_is_exact(agent_n2, monkeypatch):
    from escalation import services as escalation_services

    monkeypatch.setattr(escalation_services, "RECURRING_COUNTED", 6)
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category = CategoryFactory(name="Caisse enregistreuse")
    colleagues = [UserFactory(username=f"vendeur{n}", organisation=organisation) for n in range(6)]
    for colleague in colleagues[:5]:
        make_ticket(requester=colleague, category=category)

    last = make_ticket(requester=colleagues[5], category=category)

    event = last.events.get(kind="flagged")
    assert (event.data["count"], "more" in event.data) == (6, False)


@pytest.mark.parametrize("case", ["requester-third", "organisation-fifth", "second-only", "broad-category"])
def test_the_verdict_reached_before_the_insert_equals_the_one_after(case, agent_n2):
    """The flag is decided before the new ticket's INSERT (which writes it, no UPDATE after), the ticket
    counted in; held equal to the rule's reading once the ticket is written, which counts it itself."""
    from django.test.utils import CaptureQueriesContext

    from escalation import services as escalation_services
    from escalation.models import RuleCode
    from tickets.models import Ticket

    organisation = OrganisationFactory(name="Boulangerie Martin")
    people = [UserFactory(username=f"vendeur{n}", organisation=organisation) for n in range(5)]
    category = CategoryFactory(name="Caisse enregistreuse")
    if case == "broad-category":
        CategoryFactory(name="Tiroir", parent=category)
    before, last = {"requester-third": ([people[0]] * 2, people[0]), "organisation-fifth": (people[:4], people[4]),
                    "second-only": ([people[0]], people[0]), "broad-category": ([people[0]] * 2, people[0])}[case]
    for person in before:
        make_ticket(requester=person, category=category)

    with CaptureQueriesContext(connection) as captured:
        ticket = make_ticket(requester=last, category=category)

    flag_updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE") and "is_recurring" in q["sql"]]
    assert flag_updates == []
    saved = Ticket.objects.get(pk=ticket.pk)
    # The rule's reading once the ticket is written, counted here with the ORM: the ticket counts itself.
    rule = escalation_services.active_rule(RuleCode.RECURRING)
    recent = Ticket.objects.filter(category=category, created_at__gte=saved.created_at - timedelta(days=rule.window_days))
    mine, theirs = recent.filter(requester=last).count(), recent.filter(organisation=organisation).count()
    after = ({"scope": "organisation", "count": theirs, "days": rule.window_days}
             if theirs >= rule.organisation_ticket_count
             else {"scope": "requester", "count": mine, "days": rule.window_days} if mine >= rule.ticket_count
             else None)
    if case == "broad-category":
        after = None  # a category with sub-categories is no evidence
    flagged = saved.events.filter(kind="flagged").first()
    assert saved.is_recurring == ticket.is_recurring == (after is not None)
    assert (flagged and {k: flagged.data[k] for k in ("scope", "count", "days")}) == (after or None)
    assert (after is not None) == (case in ("requester-third", "organisation-fifth"))


def test_a_broad_category_with_sub_categories_is_not_evidence_of_a_recurring_problem(requester):
    broad = CategoryFactory(name="Comptes et accès")
    CategoryFactory(name="Mot de passe", parent=broad)
    for _ in range(3):
        last = make_ticket(requester=requester, category=broad)

    last.refresh_from_db()
    assert not last.is_recurring


def test_the_thresholds_are_the_rules(requester):
    EscalationRule.objects.filter(code="recurring").update(ticket_count=2)
    category = CategoryFactory(name="Imprimantes")
    make_ticket(requester=requester, category=category)

    second = make_ticket(requester=requester, category=category)

    second.refresh_from_db()
    assert second.is_recurring


def test_tickets_older_than_the_window_do_not_count_as_recurring(requester):
    category = CategoryFactory(name="Imprimantes")
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        make_ticket(requester=requester, category=category)
        make_ticket(requester=requester, category=category)

    third = make_ticket(requester=requester, category=category)

    third.refresh_from_db()
    assert not third.is_recurring


def test_tickets_just_inside_the_window_count_as_recurring(requester):
    category = CategoryFactory(name="Imprimantes")
    with time_machine.travel(timezone.now() - timedelta(days=29, hours=23), tick=False):
        make_ticket(requester=requester, category=category)
        make_ticket(requester=requester, category=category)

    third = make_ticket(requester=requester, category=category)

    third.refresh_from_db()
    assert third.is_recurring
    assert third.events.get(kind="flagged").data["count"] == 3


def test_rules_never_touch_closed_tickets(ticket, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)

    sla_check_deadlines(now=timezone.now() + timedelta(days=30))

    closed.refresh_from_db()
    assert closed.level == "N1"
    assert not Escalation.objects.exists()


def test_rules_never_escalate_past_n4(ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)
    services.ticket_set_level(ticket=working, actor=agent_n1, level="N4", reason="test")

    assert escalate_stalled(now=timezone.now() + timedelta(hours=3)) == 0
    sla_check_deadlines(now=timezone.now() + timedelta(days=30))

    working.refresh_from_db()
    assert working.level == "N4"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_a_stalled_ticket_once(requester, agent_n1):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (CI runs on it)")
    working = advance(make_ticket(requester=requester, category=CategoryFactory(name="Réseau")),
                      to="in_progress", agent=agent_n1)
    later = timezone.now() + timedelta(hours=1)
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        try:
            barrier.wait()
            results.append(escalate_stalled(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert Escalation.objects.filter(ticket=working).count() == 1
    assert RuleFiring.objects.filter(ticket=working).count() == 1

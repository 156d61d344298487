"""The recurring rule alerts a level about a problem (a requester's, or an organisation's, tickets in one category)
once, then again only after the rule's quiet hours: at a busy organisation every ticket of a category is recurring,
and each alerted every agent of N2. The tickets meanwhile are flagged all the same, their history saying why no
alert went out."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from escalation import services
from escalation.models import EscalationRule, RecurringAlert, RuleFiring
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket
from tickets.models import Notification, Ticket
from tickets.templatetags.ticket_tags import describe_event


def _alerts(ticket) -> list[str]:
    return list(Notification.objects.filter(event__ticket=ticket, template="recurring_flagged")
                .values_list("recipient__username", flat=True))


def _rule(**changes) -> EscalationRule:
    rule = EscalationRule.objects.get(code="recurring")
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def test_a_problem_alerts_its_level_once_then_its_tickets_are_flagged_quietly(requester, category, agent_n2):
    make_ticket(requester=requester, category=category)
    make_ticket(requester=requester, category=category)

    third = make_ticket(requester=requester, category=category)
    fourth = make_ticket(requester=requester, category=category)
    fifth = make_ticket(requester=requester, category=category)

    assert _alerts(third) == [agent_n2.username]
    assert third.events.get(kind="flagged").data["alert"] == "sent"
    for quiet in (fourth, fifth):
        quiet.refresh_from_db()
        assert quiet.is_recurring
        assert _alerts(quiet) == []
        event = quiet.events.get(kind="flagged")
        assert (event.data["alert"], event.data["quiet_hours"], event.data["count"]) == (
            "quiet", 24, 4 if quiet is fourth else 5)
        assert RuleFiring.objects.filter(ticket=quiet, rule__code="recurring").count() == 1
    alert = RecurringAlert.objects.get()
    assert (alert.scope, alert.subject_id, alert.category_id, alert.reference) == (
        "requester", requester.pk, category.pk, third.reference)


def test_the_quiet_tickets_history_says_why_no_alert_went_out(requester, category, agent_n2):
    for _ in range(3):
        make_ticket(requester=requester, category=category)

    fourth = make_ticket(requester=requester, category=category)

    sentence = describe_event(fourth.events.get(kind="flagged"))
    assert "récurrent" in sentence and "24 dernières heures" in sentence and "pas de nouvelle alerte" in sentence


def test_the_alert_tells_the_level_how_long_the_next_tickets_stay_quiet(requester, category, agent_n2, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    make_ticket(requester=requester, category=category)
    make_ticket(requester=requester, category=category)

    with django_capture_on_commit_callbacks(execute=True):
        third = make_ticket(requester=requester, category=category)

    [email] = [m for m in mailoutbox if third.reference in m.subject and agent_n2.email in m.to]
    assert "Les prochains tickets de ce problème dans les 24 heures sont signalés sans nouvelle alerte." in email.body
    html = email.alternatives[0][0] if email.alternatives else ""
    assert "24 heures" in html


def test_after_the_quiet_hours_the_problem_alerts_again(requester, category, agent_n2):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            make_ticket(requester=requester, category=category)
        clock.shift(timedelta(hours=23, minutes=59))
        within = make_ticket(requester=requester, category=category)
        clock.shift(timedelta(minutes=2))  # 24 h 01 after the alert (the quiet ticket does not restart the wait)

        again = make_ticket(requester=requester, category=category)

    assert _alerts(within) == []
    assert _alerts(again) == [agent_n2.username]
    assert RecurringAlert.objects.get().reference == again.reference


def test_an_organisations_alert_covers_its_requesters_tickets_and_each_category_alerts_apart(agent_n2):
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category, other_category = CategoryFactory(name="Caisse enregistreuse"), CategoryFactory(name="Balance")
    colleagues = [UserFactory(username=f"vendeur{n}", organisation=organisation) for n in range(5)]
    for colleague in colleagues[:4]:
        make_ticket(requester=colleague, category=category)
    fifth = make_ticket(requester=colleagues[4], category=category)  # the organisation's fifth
    make_ticket(requester=colleagues[0], category=category)

    third_of_one = make_ticket(requester=colleagues[0], category=category)  # colleague 0's third too
    for colleague in colleagues:
        make_ticket(requester=colleague, category=other_category)
    fifth_in_other_category = Ticket.objects.filter(category=other_category).order_by("pk").last()

    assert (fifth.events.get(kind="flagged").data["scope"], _alerts(fifth)) == ("organisation", [agent_n2.username])
    flagged = third_of_one.events.get(kind="flagged").data
    assert (flagged["scope"], flagged["count"], flagged["alert"], _alerts(third_of_one)) == (
        "organisation", 7, "quiet", [])
    assert _alerts(fifth_in_other_category) == [agent_n2.username]
    assert set(RecurringAlert.objects.values_list("scope", "subject_id", "category_id")) == {
        ("organisation", organisation.pk, category.pk), ("organisation", organisation.pk, other_category.pk)}


def test_the_organisations_problem_alerts_once_and_a_requester_without_one_for_her_own(agent_n2):
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category = CategoryFactory(name="Caisse enregistreuse")
    anne, bruno = (UserFactory(username=name, organisation=organisation) for name in ("anne", "bruno"))
    tickets = [make_ticket(requester=person, category=category) for person in (anne, anne, bruno, bruno)]

    annes_third = make_ticket(requester=anne, category=category)  # her third, the organisation's fifth
    bruno_third = make_ticket(requester=bruno, category=category)  # the organisation's sixth: its problem, alerted

    assert not any(ticket.is_recurring for ticket in tickets[:2])
    assert (annes_third.events.get(kind="flagged").data["scope"], _alerts(annes_third)) == (
        "organisation", [agent_n2.username])
    assert _alerts(bruno_third) == []
    lone = UserFactory(username="claire")  # no organisation: her own problem
    for _ in range(2):
        make_ticket(requester=lone, category=category)
    lones_third = make_ticket(requester=lone, category=category)
    assert (lones_third.events.get(kind="flagged").data["scope"], _alerts(lones_third)) == (
        "requester", [agent_n2.username])


def test_a_requesters_alerted_problem_stays_quiet_as_it_makes_the_organisations_until_a_colleague_joins(agent_n2):
    organisation = OrganisationFactory(name="Boulangerie Martin")
    category = CategoryFactory(name="Caisse enregistreuse")
    claire, denis = (UserFactory(username=name, organisation=organisation) for name in ("claire", "denis"))
    tickets = [make_ticket(requester=claire, category=category) for _ in range(5)]

    colleagues = make_ticket(requester=denis, category=category)  # the organisation's sixth, denis's first

    scopes = [ticket.events.get(kind="flagged").data["scope"] for ticket in tickets[2:]]
    assert scopes == ["requester", "requester", "organisation"]
    assert [len(_alerts(ticket)) for ticket in tickets] == [0, 0, 1, 0, 0]  # her fifth: her problem, announced
    assert (colleagues.events.get(kind="flagged").data["scope"], _alerts(colleagues)) == (
        "organisation", [agent_n2.username])


def test_with_no_quiet_hours_every_recurring_ticket_alerts(requester, category, agent_n2):
    _rule(alert_quiet_hours=0)
    tickets = [make_ticket(requester=requester, category=category) for _ in range(5)]

    assert [len(_alerts(ticket)) for ticket in tickets] == [0, 0, 1, 1, 1]
    assert "quiet" not in {ticket.events.get(kind="flagged").data["alert"] for ticket in tickets[2:]}


def test_a_claim_taken_within_the_quiet_hours_is_not_taken_again(requester, category):
    ticket = Ticket(requester=requester, category=category, created_at=timezone.now(), reference="2026-000001")
    quiet_since = ticket.created_at - timedelta(hours=24)

    assert services._claim_alert(ticket, "requester", quiet_since) is True
    ticket.reference = "2026-000002"
    assert services._claim_alert(ticket, "requester", quiet_since) is False
    later = Ticket(requester=requester, category=category, created_at=ticket.created_at + timedelta(hours=25),
                   reference="2026-000003")
    assert services._claim_alert(later, "requester", later.created_at - timedelta(hours=24)) is True
    assert RecurringAlert.objects.get().reference == "2026-000003"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two transactions at once: PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_tickets_of_one_problem_at_once_alert_once():
    requester = UserFactory(username="claire")
    category = CategoryFactory(name="Imprimantes")
    now = timezone.now()
    barrier, results = threading.Barrier(2), []

    def claim(number):
        try:
            ticket = Ticket(requester=requester, category=category, created_at=now, reference=f"2026-00000{number}")
            with transaction.atomic():
                barrier.wait(timeout=10)
                results.append(services._claim_alert(ticket, "requester", now - timedelta(hours=24)))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, True]
    assert RecurringAlert.objects.count() == 1


def test_managers_set_the_quiet_hours_on_the_rules_page(client, manager):
    client.force_login(manager)
    rules = list(EscalationRule.objects.all())
    page = client.get("/escalation/rules/")
    html = page.content.decode()
    shown = re.findall(r'<input type="number" name="form-(\d+)-alert_quiet_hours"', html)
    assert page.status_code == 200
    assert shown == [str([rule.code for rule in rules].index("recurring"))]  # on the recurring rule's card only

    data = {"form-TOTAL_FORMS": len(rules), "form-INITIAL_FORMS": len(rules)}
    for number, rule in enumerate(rules):
        data.update({f"form-{number}-id": rule.pk, f"form-{number}-is_active": "on",
                     f"form-{number}-threshold_minutes": rule.threshold_minutes,
                     f"form-{number}-window_days": rule.window_days, f"form-{number}-ticket_count": rule.ticket_count,
                     f"form-{number}-organisation_ticket_count": rule.organisation_ticket_count,
                     f"form-{number}-alert_quiet_hours": 4 if rule.code == "recurring" else rule.alert_quiet_hours,
                     f"form-{number}-target_level": rule.target_level})
    response = client.post("/escalation/rules/", data)

    assert response.status_code == 302
    assert EscalationRule.objects.get(code="recurring").alert_quiet_hours == 4

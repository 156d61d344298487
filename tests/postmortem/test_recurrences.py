"""Postmortems that stick: a corrective action's recurrence check, verified by beat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from core.exceptions import ActionRefused
from postmortem import services
from postmortem.models import CorrectiveAction, MajorIncident, Postmortem, PostmortemEvent, Recurrence
from postmortem.tasks import check_action_recurrences
from tests.conftest import login
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory
from tests.postmortem.conftest import make_major_ticket, resolve
from tickets.models import Notification

T0 = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vpn(db):
    return CategoryFactory(name="VPN", parent=CategoryFactory(name="Réseau"))


@pytest.fixture
def postmortem(clock, requester, vpn, agent_n1) -> Postmortem:
    ticket = make_major_ticket(requester=requester, category=vpn)
    resolve(ticket, agent=agent_n1)
    return Postmortem.objects.get(incident__ticket=ticket)


def add_action(postmortem, agent, **check) -> CorrectiveAction:
    return services.corrective_action_add(postmortem=postmortem, actor=agent, description="Doubler le concentrateur VPN",
                                          owner=agent, due_date=date(2026, 9, 15), **check)


def test_an_incident_in_the_category_within_the_window_reopens_the_action_and_tells_owner_and_managers(
        clock, postmortem, vpn, agent_n1, manager, requester):
    action = add_action(postmortem, agent_n1, recurrence_days=60, recurrence_category=vpn.parent)
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=20))
    again = make_major_ticket(requester=requester, category=vpn)  # a subcategory of the one watched
    clock.shift(timedelta(hours=1))

    assert check_action_recurrences() == {"recurred": 1, "held": 0}

    action.refresh_from_db()
    new_incident = MajorIncident.objects.get(ticket=again)
    assert (action.done, action.done_at, action.recurrence_count) == (False, None, 1)
    assert Recurrence.objects.get(action=action).incident == new_incident
    assert PostmortemEvent.objects.filter(postmortem=postmortem, action="recurrence").count() == 1
    told = set(Notification.objects.filter(template="action_recurrence").values_list("recipient_id", flat=True))
    assert told == {agent_n1.pk, manager.pk}
    assert again.events.filter(kind="incident", data__incident="recurrence").exists()
    assert check_action_recurrences() == {"recurred": 0, "held": 0}  # once


def test_no_incident_for_the_whole_window_and_the_action_held(clock, postmortem, vpn, agent_n1, requester):
    action = add_action(postmortem, agent_n1, recurrence_days=30, recurrence_category=vpn)
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=29))
    make_major_ticket(requester=requester, category=CategoryFactory(name="Imprimante"))  # another category
    assert check_action_recurrences() == {"recurred": 0, "held": 0}

    clock.shift(timedelta(days=1, seconds=1))
    assert check_action_recurrences() == {"recurred": 0, "held": 1}
    action.refresh_from_db()
    assert action.done and action.recurrence_held_at is not None

    make_major_ticket(requester=requester, category=vpn)  # after the window: not this action's business
    assert check_action_recurrences() == {"recurred": 0, "held": 0}


def test_an_incident_after_the_window_or_before_the_action_was_done_is_no_recurrence(
        clock, postmortem, vpn, agent_n1, requester):
    action = add_action(postmortem, agent_n1, recurrence_days=30, recurrence_category=vpn)
    make_major_ticket(requester=requester, category=vpn)  # before it was done
    clock.shift(timedelta(hours=1))
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=31))
    make_major_ticket(requester=requester, category=vpn)

    assert check_action_recurrences() == {"recurred": 0, "held": 1}


def test_the_organisation_narrows_the_check(clock, postmortem, vpn, agent_n1):
    lyon, paris = OrganisationFactory(name="Lyon"), OrganisationFactory(name="Paris")
    action = add_action(postmortem, agent_n1, recurrence_days=90, recurrence_category=vpn,
                        recurrence_organisation=lyon)
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=3))
    make_major_ticket(requester=UserFactory(username="parisien", organisation=paris), category=vpn)
    assert check_action_recurrences()["recurred"] == 0

    make_major_ticket(requester=UserFactory(username="lyonnais", organisation=lyon), category=vpn)
    assert check_action_recurrences()["recurred"] == 1


def test_a_dismissed_alert_is_no_recurrence(clock, postmortem, vpn, agent_n1, requester):
    action = add_action(postmortem, agent_n1, recurrence_days=30, recurrence_category=vpn)
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=2))
    alert = MajorIncident.objects.get(ticket=make_major_ticket(requester=requester, category=vpn))
    services.incident_dismiss(incident=alert, actor=agent_n1, reason="Un seul poste")

    assert check_action_recurrences()["recurred"] == 0


def test_a_check_needs_a_category_or_an_organisation(postmortem, agent_n1):
    with pytest.raises(ActionRefused):
        add_action(postmortem, agent_n1, recurrence_days=30)


def test_the_page_shows_the_check_and_the_recurrence(client, clock, postmortem, vpn, agent_n1, requester):
    login(client, agent_n1)
    response = client.post(reverse("postmortem:action_add", args=[postmortem.pk]), {
        "description": "Surveiller la charge", "owner": agent_n1.pk, "due_date": "2026-09-20",
        "recurrence_days": "30", "recurrence_category": "", "recurrence_organisation": ""})
    assert response.status_code == 400  # a check with nothing to watch
    client.post(reverse("postmortem:action_add", args=[postmortem.pk]), {
        "description": "Surveiller la charge", "owner": agent_n1.pk, "due_date": "2026-09-20",
        "recurrence_days": "30", "recurrence_category": vpn.pk})
    action = CorrectiveAction.objects.get()
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=5))
    again = make_major_ticket(requester=requester, category=vpn)
    check_action_recurrences()

    page = client.get(postmortem.get_absolute_url()).content.decode()

    assert "Contrôle de récidive : aucun incident dans Réseau › VPN pendant 30 jours" in page
    assert 'data-testid="recurrences"' in page and again.reference in page


def test_the_dashboard_shows_the_repeat_rate_and_overdue_actions_per_owner(client, clock, postmortem, vpn, agent_n1,
                                                                            agent_n2, manager, requester):
    from postmortem.selectors import incident_counts

    action = add_action(postmortem, agent_n1, recurrence_days=30, recurrence_category=vpn)
    services.corrective_action_add(postmortem=postmortem, actor=agent_n1, description="Former l'équipe",
                                   owner=agent_n2, due_date=date(2026, 9, 2))
    postmortem = services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Concentrateur saturé",
                                            lessons_learned="Surveiller la charge")
    postmortem = services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    services.postmortem_publish(postmortem=postmortem, actor=manager)
    services.corrective_action_complete(action=action, actor=agent_n1)
    clock.shift(timedelta(days=10))
    make_major_ticket(requester=requester, category=vpn)
    check_action_recurrences()  # reopens the first action, due 15/09: not overdue yet

    figures = incident_counts(start=T0 - timedelta(days=1), end=T0 + timedelta(days=30))

    assert (figures["published_postmortems"], figures["repeated_postmortems"], figures["repeat_rate"]) == (1, 1, 100)
    assert figures["overdue_actions_by_owner"] == [{"owner": "Hugo Bernard", "count": 1}]
    login(client, manager)
    page = client.get(reverse("dashboard:index"), {"period": "30d"}).content.decode()
    assert "Incidents récidivants après un postmortem : <strong>100 %</strong>" in page
    assert "Hugo Bernard : <strong" in page

"""The /postmortems/ list: incidents with their postmortems, filtered, in a fixed number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from postmortem.models import MajorIncident, Postmortem
from tests.postmortem.conftest import make_major_ticket, resolve


def make_incidents(count, *, requester, category, with_postmortem_every=2):
    incidents = []
    for index in range(count):
        ticket = make_major_ticket(requester=requester, category=category, priority="P1" if index % 2 else "P2")
        incident = MajorIncident.objects.get(ticket=ticket)
        if index % with_postmortem_every == 0:
            # Test data only: a postmortem as the resolution would open it, without walking each ticket.
            Postmortem.objects.create(incident=incident, title=ticket.title, started_at=ticket.created_at,
                                      ended_at=timezone.now(), due_at=timezone.now() + timedelta(hours=48),
                                      owner=ticket.assignee)
        incidents.append(incident)
    return incidents


def test_the_list_filters_by_state_overdue_and_period(client, requester, category, agent_n1):
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        old = make_major_ticket(requester=requester, category=category)
        resolve(old, agent=agent_n1)
    recent = make_major_ticket(requester=requester, category=category)
    client.force_login(agent_n1)

    def listed(**params):
        content = client.get(reverse("postmortem:list"), params).content.decode()
        return {ticket.reference for ticket in (old, recent) if ticket.reference in content}

    assert listed() == {old.reference, recent.reference}
    assert listed(state="alert") == {recent.reference}
    assert listed(state="resolution") == {old.reference}
    assert listed(postmortem_state="draft") == {old.reference}
    assert listed(overdue="true") == {old.reference}
    assert listed(overdue="false") == {recent.reference}
    since = timezone.localdate() - timedelta(days=1)
    assert listed(declared_after=since.isoformat()) == {recent.reference}
    assert listed(declared_before=since.isoformat()) == {old.reference}


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_costs_the_same_queries_at_2_and_20_incidents(client, requester, category, agent_n1, count,
                                                                settings):
    # Sessions in the database, as on the embedded default (with Redis, cached_db reads no session row).
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    make_incidents(count, requester=requester, category=category)
    client.force_login(agent_n1)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("postmortem:list"))

    assert response.status_code == 200
    assert response.content.count(b'<tr data-testid="incident-') == count
    # 1 session, 2 user with their group names (accounts.backends), 3 the page of incidents joined with
    # ticket, declarer, postmortem and its owner (keyset: no count).
    assert len(queries) == 3, "\n".join(q["sql"] for q in queries)

"""The major-incident cast: on top of tests/conftest.py, an N4 lead, a stakeholder from the
business side, and P1 / P2 tickets created through the services."""

from __future__ import annotations

import pytest

from postmortem.models import MajorIncident, Stakeholder
from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Scale


@pytest.fixture
def agent_n4(db):
    return UserFactory(username="agent4", groups=["N4"], first_name="Léa", last_name="Roux")


@pytest.fixture
def business_stakeholder(db):
    user = UserFactory(username="sales_head", first_name="Marc", last_name="Lefèvre")
    Stakeholder.objects.create(user=user, note="Head of sales")
    return user


def make_major_ticket(*, requester, category=None, priority="P1", **kwargs):
    """A ticket whose matrix priority is P1 (high/high) or P2 (high urgency, medium impact)."""
    impact = Scale.HIGH if priority == "P1" else Scale.MEDIUM
    return make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=impact,
                       title="Le site est inaccessible", **kwargs)


@pytest.fixture
def major_ticket(requester, category):
    return make_major_ticket(requester=requester, category=category)


@pytest.fixture
def incident(major_ticket) -> MajorIncident:
    return MajorIncident.objects.get(ticket=major_ticket)


def resolve(ticket, *, agent, solution="Répartiteur de charge redémarré."):
    """Take the ticket if needed and resolve it as `agent`, through the services."""
    ticket.refresh_from_db()
    if ticket.status == "new":
        ticket = advance(ticket, to="in_progress", agent=agent)
    return services.ticket_resolve(ticket=ticket, actor=agent, solution=solution)


def war_room_mails(mailoutbox, incident) -> list:
    """Mails that point to this incident's war room (independent of the subject's language)."""
    path = incident.get_absolute_url()
    return [message for message in mailoutbox if path in message.body]

"""Storms: people of organisations filing tickets at chosen moments, through the ticket service."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from storms.services import storm_baselines_refresh, storms_detect
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday at 10:00, Paris time.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)


@pytest.fixture
def vpn(db):
    network = CategoryFactory(name="Réseau")
    return CategoryFactory(name="VPN", parent=network)


@pytest.fixture
def baseline(db):
    """A baseline with no history: every key at the floor rate."""
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        storm_baselines_refresh()


def person(name: str, organisation: str | None = None):
    org = OrganisationFactory(name=organisation) if organisation else None
    return UserFactory(username=name, organisation=org)


def file(at: datetime, *, requester, category, title="Le VPN ne se connecte plus", detect=True, **kwargs):
    """A ticket created at `at` through the service; examined for a storm as the task would."""
    with time_machine.travel(at, tick=False):
        ticket = make_ticket(requester=requester, category=category, title=title, **kwargs)
        if detect:
            storms_detect(ticket_ids=[ticket.pk])
    return ticket


def burst(n: int, *, category, start=T0, every=timedelta(minutes=2), organisations=("Acme", "Globex", "Initech"),
          prefix="p", title="Le VPN ne se connecte plus", **kwargs):
    """n tickets by n people (spread over the organisations), one every `every`."""
    return [
        file(start + i * every, requester=person(f"{prefix}{i}", organisations[i % len(organisations)]
                                                 if organisations else None),
             category=category, title=title, **kwargs)
        for i in range(n)
    ]

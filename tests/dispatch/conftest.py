"""The dispatch's cast: three N1 agents with skills, a frozen clock on a working Wednesday morning."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dispatch.models import AgentProfile, LevelSetting, Policy, Skill
from sla.models import BusinessCalendar
from tests.factories import CategoryFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)  # a Wednesday, 10:00 in Paris


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def erp(db):
    return CategoryFactory(name="ERP")


@pytest.fixture
def erp_sub(erp):
    return CategoryFactory(name="Comptabilité", parent=erp)


@pytest.fixture
def office_hours(db):
    return BusinessCalendar.objects.get(name="Jours ouvrés 9h–18h")


def set_policy(policy: str, *, level: str = "N1", max_open: int = 8) -> None:
    LevelSetting.objects.update_or_create(level=level, defaults={"policy": policy, "max_open": max_open})


def make_agent(username: str, first: str, last: str, *, level: str = "N1", categories=(None,), calendar=None,
               available: bool = True):
    agent = UserFactory(username=username, first_name=first, last_name=last, groups=[level])
    for category in categories:
        Skill.objects.create(agent=agent, level=level, category=category)
    AgentProfile.objects.create(agent=agent, calendar=calendar, is_available=available)
    return agent


@pytest.fixture
def team(db, erp, office_hours, clock):
    """Julien (ERP), Sarah (ERP) and Marc (every category), on office hours."""
    return {
        "julien": make_agent("julien", "Julien", "Roux", categories=[erp], calendar=office_hours),
        "sarah": make_agent("sarah", "Sarah", "Lemoine", categories=[erp], calendar=office_hours),
        "marc": make_agent("marc", "Marc", "Fabre", categories=[None], calendar=office_hours),
    }


__all__ = ["Policy", "T0", "make_agent", "set_policy"]

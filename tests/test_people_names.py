"""People are named by their full name wherever they are listed (accounts.people.user_display), by their
username only when the account has no name."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.people import user_display
from escalation.services import escalation_escalate
from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import EventKind
from tickets.selectors import ticket_timeline

FOLLOWUP = "Redémarrage du service et vidage du cache faits ; l'erreur 502 persiste côté proxy."


@pytest.fixture
def nameless_agent(db):
    return UserFactory(username="jroux", first_name="", last_name="", groups=["N1"])


def options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select, select_name
    return [strip_tags(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


def test_a_user_is_named_by_full_name_else_username(agent_n1, nameless_agent):
    assert user_display(agent_n1) == "Nadia Petit"
    assert user_display(nameless_agent) == "jroux"
    assert user_display(None) == ""


def test_the_queue_filter_lists_assignees_by_name_in_name_order(client, agent_n1, agent_n2, manager,
                                                               nameless_agent):
    client.force_login(agent_n1)

    html = client.get(reverse("agent:queue")).content.decode()

    # By first name then last name; the account without a name sorts first (empty first name).
    assert options(html, "assignee")[1:] == ["jroux", "Claire Moreau", "Hugo Bernard", "Nadia Petit"]


def test_the_assign_menu_lists_agents_by_name(client, ticket, agent_n1, agent_n2, nameless_agent):
    client.force_login(agent_n1)

    html = client.get(ticket.get_agent_url()).content.decode()

    assert {"Nadia Petit", "Hugo Bernard", "jroux"} <= set(options(html, "assignee"))
    assert "agent2" not in options(html, "assignee")


def test_the_escalation_log_names_who_the_ticket_was_handed_to(client, ticket, agent_n1, agent_n2, manager):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    escalation_escalate(ticket=ticket, actor=agent_n1, reason="complex_incident", followup=FOLLOWUP,
                        assignee=agent_n2)
    client.force_login(manager)

    html = client.get(reverse("escalation:log")).content.decode()

    row = re.search(r'data-testid="escalation-log".*?<tbody>(.*?)</tbody>', html, re.DOTALL).group(1)
    assert "Nadia Petit" in row and "Hugo Bernard" in row
    assert "agent2" not in row
    assert "Nadia Petit" in options(html, "actor")


def test_the_dashboard_names_agents_in_its_table_filter_and_export(client, requester, category, agent_n1,
                                                                   manager):
    advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    client.force_login(manager)

    html = client.get(reverse("dashboard:index")).content.decode()
    export = client.get(reverse("dashboard:index"), {"export": "agent"}).content.decode("utf-8-sig")

    table = re.search(r'data-testid="table-agent"(.*?)</table>', html, re.DOTALL).group(1)
    assert "Nadia Petit" in table and "agent1" not in strip_tags(table)
    assert "Nadia Petit" in options(html, "agent")
    assert export.splitlines()[1].startswith("Nadia Petit;")


@pytest.mark.parametrize(("added", "sentence"), [
    (["agent_n2"], "a ajouté Hugo Bernard comme participant"),
    (["agent_n2", "nameless_agent"], "a ajouté Hugo Bernard, jroux comme participants"),
])
def test_the_timeline_names_the_participants_added_in_the_singular_or_plural(request, ticket, agent_n1, added,
                                                                            sentence):
    users = [request.getfixturevalue(name) for name in added]
    services.ticket_add_participants(ticket=ticket, users=users, actor=agent_n1)
    client = request.getfixturevalue("client")
    client.force_login(agent_n1)

    html = client.get(ticket.get_agent_url()).content.decode()

    [event] = [e for e in ticket_timeline(ticket=ticket, user=agent_n1) if e.kind == EventKind.PARTICIPANTS]
    line = re.search(rf'id="event-{event.pk}">(.*?)</li>', html, re.DOTALL).group(1)
    assert f"Nadia Petit {sentence}" in " ".join(strip_tags(line).split())

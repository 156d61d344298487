"""The agent workspace: phases and checklists, root cause, links and merge, canned replies, collisions."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import CannedReply, ChecklistItem


@pytest.fixture
def agent_client(client, agent_n1):
    client.force_login(agent_n1)
    return client


def action(ticket, name):
    return reverse("agent:action", args=[ticket.reference, name])


def test_system_items_tick_themselves_and_agents_tick_the_others(agent_client, ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    page = agent_client.get(working.get_agent_url()).content.decode()
    assert 'data-testid="check-reproduced"' in page
    assert 'data-testid="check-ticket_created"' not in page  # auto items are not buttons

    response = agent_client.post(action(working, "check"), {"version": working.version, "code": "reproduced",
                                                             "done": "on"})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(ticket=working, code="reproduced")
    assert item.done_by == agent_n1
    working.refresh_from_db()
    agent_client.post(action(working, "check"), {"version": working.version, "code": "reproduced"})
    assert not ChecklistItem.objects.filter(ticket=working).exists()
    assert working.events.filter(kind="checklist").count() == 2


def test_an_automatic_item_cannot_be_ticked_by_hand(agent_client, ticket):
    response = agent_client.post(action(ticket, "check"), {"version": ticket.version, "code": "cause_identified",
                                                           "done": "on"})

    assert response.status_code == 409
    assert not ChecklistItem.objects.exists()


def test_recording_the_root_cause_moves_diagnostic_to_resolution_and_time_per_phase_is_kept(
    agent_client, ticket, agent_n1, requester
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        clock.shift(timedelta(minutes=10))
        working = advance(ticket, to="in_progress", agent=agent_n1)
        assert working.phase == "diagnostic"
        clock.shift(timedelta(minutes=30))
        agent_client.post(action(working, "root-cause"), {"version": working.version,
                                                          "root_cause": "Certificat expiré"})
        working.refresh_from_db()
        assert working.phase == "resolution"
        clock.shift(timedelta(minutes=45))
        working = services.ticket_resolve(ticket=working, actor=agent_n1, solution="Certificat renouvelé")
        clock.shift(timedelta(hours=2))
        services.ticket_close(ticket=working, actor=requester)

    working.refresh_from_db()
    assert (working.reception_seconds, working.diagnostic_seconds, working.resolution_seconds,
            working.closure_seconds) == (600, 1800, 2700, 7200)
    assert working.phase_started_at is None


def test_root_cause_is_required(agent_client, ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    response = agent_client.post(action(working, "root-cause"), {"version": working.version, "root_cause": ""})

    assert response.status_code == 400
    working.refresh_from_db()
    assert working.phase == "diagnostic"


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "L'enregistrer fait passer le ticket de la phase Diagnostic à la phase Résolution."),
    ("en", "Recording it moves the ticket from Diagnosis to Resolution."),
])
def test_the_root_cause_help_names_the_phases_in_the_readers_language(agent_client, ticket, agent_n1, language,
                                                                     expected):
    """The newcomer's walk found "from Diagnostic to Résolution" on the English workspace."""
    working = advance(ticket, to="in_progress", agent=agent_n1)

    page = agent_client.get(working.get_agent_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert expected in page


def test_duplicate_of_closes_the_duplicate_and_merges_its_followups(agent_client, requester, category, agent_n1):
    original = make_ticket(requester=requester, category=category, title="Messagerie en panne")
    duplicate = make_ticket(requester=requester, category=category, title="Outlook ne marche plus",
                            description="Depuis ce matin")
    services.followup_add(ticket=duplicate, author=requester, body="Toujours rien")

    response = agent_client.post(action(duplicate, "link"), {"version": duplicate.version,
                                                             "reference": original.reference,
                                                             "kind": "duplicate_of"})

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == "closed"
    bodies = list(original.followups.values_list("body", flat=True))
    assert any("Depuis ce matin" in body for body in bodies)
    assert any("Toujours rien" in body for body in bodies)
    page = agent_client.get(original.get_agent_url()).content.decode()
    assert duplicate.reference in page


def test_relate_shows_the_link_on_both_tickets_and_refuses_self_links(agent_client, requester, category):
    one = make_ticket(requester=requester, category=category)
    two = make_ticket(requester=requester, category=category)

    agent_client.post(action(one, "link"), {"version": one.version, "reference": two.reference, "kind": "relates"})

    assert two.reference in agent_client.get(one.get_agent_url()).content.decode()
    assert one.reference in agent_client.get(two.get_agent_url()).content.decode()
    one.refresh_from_db()
    response = agent_client.post(action(one, "link"), {"version": one.version, "reference": one.reference,
                                                       "kind": "relates"})
    assert response.status_code == 409


def test_links_both_ways_are_read_at_once_outgoing_first(requester, category, agent_n1,
                                                          django_assert_num_queries):
    from tickets.models import TicketLink
    from tickets.selectors import ticket_links

    one, two, three, unrelated = (make_ticket(requester=requester, category=category, title=f"Ticket {n}")
                                  for n in range(4))
    TicketLink.objects.create(source=three, target=one, kind="duplicate_of")
    TicketLink.objects.create(source=one, target=two, kind="relates")
    TicketLink.objects.create(source=two, target=unrelated, kind="relates")

    with django_assert_num_queries(1):
        rows = ticket_links(ticket=one)
        shown = [(row["outgoing"], row["other"].reference, row["other"].title, row["other"].get_status_display())
                 for row in rows]

    assert shown == [(True, two.reference, "Ticket 1", "Nouveau"), (False, three.reference, "Ticket 2", "Nouveau")]
    assert [str(row["kind"]) for row in rows] == ["lié à", "doublon de"]


def test_requesters_other_recent_tickets_are_shown(agent_client, requester, other_requester, category):
    earlier = make_ticket(requester=requester, category=category, title="Écran noir")
    stranger = make_ticket(requester=other_requester, category=category, title="Souris cassée")
    current = make_ticket(requester=requester, category=category)

    page = agent_client.get(current.get_agent_url()).content.decode()

    recent = page.split('data-testid="recent-tickets"')[1]
    assert earlier.reference in recent
    assert stranger.reference not in recent


def test_canned_replies_are_managed_by_managers_and_offered_in_the_workspace(client, manager, agent_n1, ticket):
    client.force_login(agent_n1)
    assert client.get(reverse("agent:canned_replies")).status_code == 404
    client.force_login(manager)

    response = client.post(reverse("agent:canned_replies"), {"title": "Redémarrage", "is_active": "on",
                                                             "body": "Pouvez-vous redémarrer le poste ?"})

    assert response.status_code == 302
    assert CannedReply.objects.get().title == "Redémarrage"
    client.force_login(agent_n1)
    assert "Pouvez-vous redémarrer le poste ?" in client.get(ticket.get_agent_url()).content.decode()


def test_presence_tells_who_else_has_the_ticket_open_and_whether_it_changed(client, agent_n1, ticket, requester):
    colleague = UserFactory(username="colleague", groups=["N1"], first_name="Zoé", last_name="Roux")
    url = reverse("agent:presence", args=[ticket.reference])
    client.force_login(colleague)
    client.get(url, {"version": ticket.version})
    client.force_login(agent_n1)

    before = client.get(url, {"version": ticket.version}).content.decode()
    services.followup_add(ticket=ticket, author=requester, body="Des nouvelles ?")
    after = client.get(url, {"version": ticket.version}).content.decode()

    assert "Zoé Roux" in before and 'data-testid="ticket-changed"' not in before
    assert 'data-testid="ticket-changed"' in after


def test_a_stale_form_is_refused_with_the_fresh_state_shown(agent_client, ticket, agent_n1, agent_n2):
    loaded_version = ticket.version
    services.ticket_take(ticket=ticket, actor=agent_n2)

    # A state change (a reply from a stale page is added instead: tests/tickets/test_views_conflict.py).
    response = agent_client.post(action(ticket, "priority"), {"version": loaded_version, "priority": "P1",
                                                              "reason": "Site arrêté"})

    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="conflict"' in page and "En cours" in page
    ticket.refresh_from_db()
    assert ticket.priority != "P1"


@pytest.mark.parametrize("followups", [5, 60])
def test_workspace_query_count_does_not_grow_with_followups(client, agent_n1, ticket, requester,
                                                            django_assert_max_num_queries, followups):
    for i in range(followups):
        services.followup_add(ticket=ticket, author=requester if i % 2 else agent_n1, body=f"message {i}",
                              is_public=bool(i % 3))
    client.force_login(agent_n1)

    # session, user, groups (3); the ticket with its joins (1); the timeline with actors and followups (1)
    # and their attachments (1); the ticket's own attachments (1); the incident panel (1); the escalation
    # panel's history (1) and next-level agents (1); the checklist ticks (1) and its two facts, the
    # acknowledgement sent and the survey answered (1); the linked knowledge-base articles (1); the requester's
    # recent tickets (1); links out and in (1); canned replies (1); SLA clocks (1); the category choices (1)
    # and the agents to assign to (1); the dispatch panel's forecast (1) and latest automatic assignment (1).
    with django_assert_max_num_queries(21):
        response = client.get(ticket.get_agent_url())
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["agent:queue", "agent:canned_replies"])
def test_requester_gets_404_on_agent_pages(client, requester, name):
    client.force_login(requester)

    assert client.get(reverse(name)).status_code == 404


def test_requester_gets_404_on_every_workspace_route(client, requester, ticket):
    client.force_login(requester)

    assert client.get(ticket.get_agent_url()).status_code == 404
    assert client.get(reverse("agent:presence", args=[ticket.reference])).status_code == 404
    for name in ("take", "wait", "resume", "resolve", "reopen", "assign", "priority", "reply", "check",
                 "root-cause", "link"):
        assert client.post(action(ticket, name), {"version": ticket.version}).status_code == 404
    for name in ("agent:saved_view_create", "agent:bulk"):
        assert client.post(reverse(name), {}).status_code == 404


def test_a_long_timeline_shows_the_latest_events_and_the_earlier_ones_on_demand(client, agent_n1, ticket,
                                                                               requester):
    for i in range(60):
        services.followup_add(ticket=ticket, author=requester, body=f"message numéro {i:02d}", is_public=True)
    client.force_login(agent_n1)

    page = client.get(ticket.get_agent_url()).content.decode()

    assert 'data-testid="timeline-earlier"' in page and 'href="?timeline=all#timeline"' in page
    assert "message numéro 59" in page and "message numéro 10" in page
    assert "message numéro 09" not in page  # 61 events (creation + 60): the oldest 11 are folded
    whole = client.get(ticket.get_agent_url(), {"timeline": "all"}).content.decode()
    assert "message numéro 00" in whole and 'data-testid="timeline-earlier"' not in whole
    assert whole.index("message numéro 00") < whole.index("message numéro 59")


def test_a_short_timeline_is_shown_whole_without_the_link(client, agent_n1, ticket, requester):
    services.followup_add(ticket=ticket, author=requester, body="premier message", is_public=True)
    client.force_login(agent_n1)

    page = client.get(ticket.get_agent_url()).content.decode()

    assert "premier message" in page and 'data-testid="timeline-earlier"' not in page


def test_the_timeline_names_the_assignee_by_full_name(client, agent_n1, agent_n2, ticket):
    services.ticket_assign(ticket=ticket, actor=agent_n1, assignee=agent_n2)
    client.force_login(agent_n1)

    page = client.get(ticket.get_agent_url()).content.decode()

    assert "a attribué le ticket à Hugo Bernard" in page


# --- Resolving without detours


def test_an_agent_of_the_level_resolves_an_unassigned_ticket_in_one_step_recorded_as_two_events(
        client, requester, category, agent_n1):
    from tests.factories import UserFactory

    colleague = UserFactory(username="colleague", groups=["N1"], first_name="Léa", last_name="Roux")
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    services.ticket_assign(ticket=ticket, actor=agent_n1, assignee=None)
    ticket.refresh_from_db()
    client.force_login(colleague)

    page = client.get(ticket.get_agent_url()).content.decode()
    response = client.post(action(ticket, "resolve"), {"version": ticket.version, "solution": "Pilote réinstallé."})

    assert 'data-testid="resolve-takes-over"' in page and 'data-testid="assign-me"' in page
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("resolved", colleague)
    kinds = list(ticket.events.order_by("-id").values_list("kind", "actor__username")[:2])
    assert kinds == [("transition", "colleague"), ("assigned", "colleague")]


def test_an_agent_of_another_level_is_told_why_there_is_no_resolve_button(client, requester, category, agent_n1,
                                                                          agent_n2):
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    client.force_login(agent_n2)

    page = client.get(ticket.get_agent_url()).content.decode()
    refused = client.post(action(ticket, "resolve"), {"version": ticket.version, "solution": "Redémarré."})

    assert 'data-testid="resolve-why-not"' in page
    assert "Seul le technicien attribué" in page
    assert refused.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_assign_to_me_is_one_click(client, requester, category, agent_n1, agent_n2):
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    client.force_login(agent_n2)

    response = client.post(action(ticket, "assign"), {"version": ticket.version, "assignee": agent_n2.pk})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent_n2

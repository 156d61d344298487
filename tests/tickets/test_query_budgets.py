"""Query budgets: each page costs the same number of queries with 10 tickets as with 200, and with 5
followups as with 50. A budget that has to grow with the data is an N+1: fix the selector instead.

Every budget is the exact count at the small size, so any per-row query at the large size fails.
The comment above each budget lists the queries it is made of.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def _page_size(settings):
    settings.HELPDESK_PAGE_SIZE = 25


# (tickets, followups on the focus ticket, category branches), small and large.
WORLDS = [(10, 5, 1), (200, 50, 4)]


@pytest.fixture(params=WORLDS, ids=["10-tickets-5-followups", "200-tickets-50-followups"])
def world(request, requester, agent_n1, agent_n2):
    """Tickets with varied categories (three-level tree), assignees and an organisation, and one
    focus ticket in progress whose timeline holds public replies and private notes, each with a file."""
    ticket_count, followup_count, branches = request.param
    categories = []
    for branch in range(branches):
        root = CategoryFactory(name=f"Racine {branch}")
        child = CategoryFactory(name=f"Matériel {branch}", parent=root)
        leaf = CategoryFactory(name=f"Imprimantes {branch}", parent=child)
        categories += [root, child, leaf]
    organisation = Organisation.objects.create(name="Acme", is_vip=True)
    colleague = UserFactory(username="colleague", organisation=organisation)
    assignees = [agent_n1, agent_n2, None]
    for number in range(ticket_count - 1):
        ticket = make_ticket(requester=requester if number % 4 else colleague,
                             category=categories[number % len(categories)], title=f"Ticket {number}")
        if assignees[number % 3] is not None:
            services.ticket_assign(ticket=ticket, actor=agent_n1, assignee=assignees[number % 3])

    focus = make_ticket(requester=requester, category=categories[1], title="Le ticket suivi")
    focus = advance(focus, to="in_progress", agent=agent_n1)
    focus = services.ticket_change_priority(ticket=focus, actor=agent_n1, priority="P2", reason="Service KO")
    for number in range(followup_count):
        author, public = [(requester, True), (agent_n1, True), (agent_n2, False)][number % 3]
        services.followup_add(ticket=focus, author=author, body=f"Message {number}", is_public=public,
                              attachments=[SimpleUploadedFile(f"journal-{number}.txt", b"log\n", "text/plain")])
    focus.refresh_from_db()
    return {"focus": focus, "tickets": ticket_count, "followups": followup_count}


# /tickets/ as the requester:
#  1. the session
#  2. the user
#  3. the user's groups (is_agent, read once and cached on the user)
#  4. the user's profile (Ticket.objects.visible_to: organisation sharing)
#  5. COUNT of the requester's tickets (the paginator)
#  6. the page of tickets, category and assignee joined
REQUESTER_LIST = 6


def test_the_requester_list_has_a_fixed_budget(client, requester, world, django_assert_max_num_queries):
    client.force_login(requester)

    with django_assert_max_num_queries(REQUESTER_LIST):
        response = client.get("/tickets/")

    assert response.status_code == 200
    assert len(response.context["tickets"]) == min(25, Ticket.objects.filter(requester=requester).count())


# /tickets/<reference>/ as the requester:
#  1. the session
#  2. the user
#  3. the user's groups
#  4. the user's profile (visible_to)
#  5. the ticket, requester, assignee, category and its parent, organisation and parent ticket joined
#  6. the public events, actor and followup joined
#  7. the attachments of those followups (one prefetch for all)
#  8. the attachments of the ticket itself
#  9. the ticket's satisfaction survey, if any
# 10. the public knowledge-base articles linked to the ticket
# 11. the major incident the ticket belongs to, with its latest status update (postmortem panel)
# 12. the ticket's breach forecast, before a first response (dispatch's panel: "première réponse attendue…")
REQUESTER_TICKET_PAGE = 12


def test_the_requester_ticket_page_has_a_fixed_budget(client, requester, world, django_assert_max_num_queries):
    client.force_login(requester)

    with django_assert_max_num_queries(REQUESTER_TICKET_PAGE):
        response = client.get(f"/tickets/{world['focus'].reference}/")

    assert response.status_code == 200
    public = world["followups"] - world["followups"] // 3
    assert response.content.decode().count("journal-") == public


# /agent/ as an agent, with or without filters (keyset pagination: no COUNT), the reference cache warm
# (core.cache: as after any earlier request):
#  1. the session
#  2. the user, with profile, organisation and group names (accounts.backends)
#  3. the page of tickets, requester, assignee, category and organisation joined
#  4. the SLA clocks of the page's tickets (one prefetch)
#  5. the agent's saved views
# The agents (assigned-to filter, bulk-action form), the categories and the organisations offered come
# from the reference cache; with it cold, three queries more (AGENT_QUEUE_COLD).
AGENT_QUEUE = 5
AGENT_QUEUE_COLD = AGENT_QUEUE + 3


@pytest.mark.parametrize("query", ["", "?view=mine&priority=P3", "?status=new&level=N1&sort=priority"],
                         ids=["default", "mine-p3", "new-n1-by-priority"])
def test_the_agent_queue_has_a_fixed_budget(client, agent_n1, world, query, django_assert_max_num_queries):
    client.force_login(agent_n1)
    with django_assert_max_num_queries(AGENT_QUEUE_COLD):
        assert client.get(f"/agent/{query}").status_code == 200

    with django_assert_max_num_queries(AGENT_QUEUE):
        response = client.get(f"/agent/{query}")

    assert response.status_code == 200
    assert response.context["tickets"]


@pytest.mark.parametrize("query", ["sort=newest", "sort=priority", "sort=deadline", "sort=age", "sort=updated",
                                   "view=at_risk"])
def test_the_queue_reads_only_its_columns_in_every_order(client, agent_n1, world, query, django_assert_max_num_queries):
    """The table reads only the columns it shows (tickets.selectors.QUEUE_TABLE_COLUMNS): a row or a cursor
    that needed another column (a sort's key) would cost a query per row, or one more per page."""
    client.force_login(agent_n1)
    client.get(f"/agent/?{query}")

    with django_assert_max_num_queries(AGENT_QUEUE):
        response = client.get(f"/agent/?{query}")
    cursor = response.context["page"].next_cursor
    if cursor:
        with django_assert_max_num_queries(AGENT_QUEUE):
            following = client.get(f"/agent/?{query}&after={cursor}")
        assert following.status_code == 200
        assert following.context["tickets"]

    assert response.status_code == 200
    assert bool(cursor) == (world["tickets"] > 25 and query != "view=at_risk")


def test_the_htmx_queue_table_has_a_fixed_budget(client, agent_n1, world, django_assert_max_num_queries):
    client.force_login(agent_n1)
    client.get("/agent/?view=mine", HTTP_HX_REQUEST="true")

    with django_assert_max_num_queries(AGENT_QUEUE):
        response = client.get("/agent/?view=mine", HTTP_HX_REQUEST="true")

    assert response.status_code == 200


# /agent/tickets/<reference>/ as an agent:
#  1. the session
#  2. the user
#  3. the user's groups
#  4. the ticket, requester, assignee, category and its parent, organisation and parent ticket joined
#  5. all events, actor and followup joined
#  6. the attachments of those followups (one prefetch)
#  7. the attachments of the ticket itself
#  8. the major incident the ticket belongs to, if any (postmortem panel; the focus ticket is a P2)
#  9. the escalation panel's last escalations, actor, rule and assignee joined
# 10. the knowledge-base articles linked to the ticket, who linked them joined (kb panel)
# 11. the phase checklist items, who ticked them joined
# 12. whether the satisfaction survey was answered and the acknowledgement of receipt sent (two EXISTS, for the
#     checklist)
# 13. the requester's other recent tickets
# 14. links from and to this ticket, the other ticket joined
# 15. the canned replies
# 16. the SLA clocks
# 17. the agents, for the assign form (the reference cache in production, with Redis)
# 18. the members of the next level, for the escalation panel's handover form (the reference cache in production)
# 19. the ticket's breach forecast (dispatch's panel)
# 20. its latest automatic assignment, with its agent (dispatch's panel)
WORKSPACE = 20


def test_the_workspace_has_a_fixed_budget(client, agent_n1, world, django_assert_max_num_queries):
    client.force_login(agent_n1)

    with django_assert_max_num_queries(WORKSPACE):
        response = client.get(f"/agent/tickets/{world['focus'].reference}/")

    assert response.status_code == 200
    assert response.content.decode().count("journal-") == world["followups"]

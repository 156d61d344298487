"""The ticket list and detail cost the same number of queries with 3 tickets as with 30."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ApiClient, token_for
from tests.factories import CategoryFactory, advance, make_ticket
from tickets import services


@pytest.fixture(params=[3, 30], ids=["3-tickets", "30-tickets"])
def world(request, requester, agent_n1, agent_n2):
    root = CategoryFactory(name="Matériel")
    categories = [root, CategoryFactory(name="Imprimantes", parent=root)]
    tickets = []
    for number in range(request.param):
        ticket = make_ticket(requester=requester, category=categories[number % 2], title=f"Panne {number}")
        if number % 3 == 0:
            ticket = advance(ticket, to="in_progress", agent=[agent_n1, agent_n2][number % 2])
        tickets.append(ticket)
    focus = tickets[0]
    for number in range(request.param):
        author, public = [(requester, True), (agent_n1, True), (agent_n1, False)][number % 3]
        services.followup_add(ticket=focus, author=author, body=f"Message {number}", is_public=public,
                              attachments=[SimpleUploadedFile(f"f{number}.txt", b"log\n", "text/plain")])
    return focus


# GET /api/v1/tickets/ with a token:
#  1. the token and its user   2. the user's groups (is_agent)
#  3. the page of tickets (requester, assignee, category, organisation joined)   4. their SLA clocks
# (a requester: 3. the profile for organisation sharing, 4. the page with assignee and category joined,
#  5. the requesters prefetched, not joined: see api.views.tickets._requester_rows; the organisations too
#  when a ticket has one)
LIST = {"agent_n1": 4, "requester": 5}
# GET /api/v1/tickets/<reference>/ with a token:
#  1. the token and its user   2. the groups   3. (requester) the profile   4. the ticket
#  5. the followups with their authors   6. their attachments   7. the events with actors and followups
#  8. the followups' attachments   9. the SLA clocks   10. the attachments
DETAIL = 10


@pytest.mark.parametrize("who", ["requester", "agent_n1"])
def test_the_list_has_a_fixed_budget(request, world, who, django_assert_max_num_queries):
    client = ApiClient(token_for(request.getfixturevalue(who)))
    client.get("/api/v1/me/")  # the token's last use is written once a minute: not in the budget

    with django_assert_max_num_queries(LIST[who]):
        response = client.get("/api/v1/tickets/", {"status": "in_progress"} if who == "agent_n1" else None)

    assert response.status_code == 200 and response.json()["results"]


@pytest.mark.parametrize("who", ["requester", "agent_n1"])
def test_the_detail_has_a_fixed_budget(request, world, who, django_assert_max_num_queries):
    client = ApiClient(token_for(request.getfixturevalue(who)))
    client.get("/api/v1/me/")

    with django_assert_max_num_queries(DETAIL):
        response = client.get(f"/api/v1/tickets/{world.reference}/")

    assert response.status_code == 200 and response.json()["followups"]

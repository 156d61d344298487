"""`get_ticket_for` (every ticket page and action): an agent's lookup is compiled once per connection and gives
the ticket Django's own query gives; a requester's keeps its visibility rule; anything else is a 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts.roles import is_agent
from tests.factories import CategoryFactory, UserFactory, make_ticket
from tickets.models import Ticket
from tickets.selectors import get_ticket_for

pytestmark = pytest.mark.django_db

RELATED = ("requester", "assignee", "category", "organisation", "parent")


def as_django_reads_it(reference: str) -> Ticket:
    return (Ticket.objects.select_related("requester", "assignee", "category__parent", "organisation", "parent")
            .get(reference=reference))


def same_ticket(found: Ticket, expected: Ticket) -> None:
    assert type(found) is Ticket and found.pk == expected.pk
    assert {f.attname: getattr(found, f.attname) for f in Ticket._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Ticket._meta.concrete_fields}
    for name in RELATED:  # joined, as select_related leaves them: no query to read them
        assert Ticket._meta.get_field(name).is_cached(found)
        assert getattr(found, name) == getattr(expected, name)
    assert found.category.parent == expected.category.parent
    assert not found._state.adding and found._state.db == "default"


def test_an_agent_gets_each_ticket_as_django_reads_it_one_statement_each(agent_n1, requester):
    parent = CategoryFactory(name="Réseau")
    first = make_ticket(requester=requester, title="Imprimante", category=CategoryFactory(name="Wi-Fi", parent=parent))
    second = make_ticket(requester=UserFactory(username="autre"), title="Écran")
    assert is_agent(agent_n1)  # the roles read once per user, as the request's user has them (accounts.backends)
    for ticket in (first, second, first):  # the second lookup runs the statement compiled by the first
        with CaptureQueriesContext(connection) as captured:
            found = get_ticket_for(agent_n1, ticket.reference)
        assert len(captured) == 1 and ticket.reference in captured[0]["sql"]
        same_ticket(found, as_django_reads_it(ticket.reference))


def test_an_agent_asking_for_no_such_reference_gets_a_404(agent_n1, requester):
    make_ticket(requester=requester)
    for reference in ("2099-999999", "", "x' OR '1'='1", "\x1ehelpdesk-compiled-placeholder\x1e"):
        with pytest.raises(Http404):
            get_ticket_for(agent_n1, reference)


def test_the_ticket_found_can_be_changed_and_saved_through_its_state_machine(agent_n1, requester):
    from tickets import services

    ticket = make_ticket(requester=requester)
    found = get_ticket_for(agent_n1, ticket.reference)
    services.ticket_take(ticket=found, actor=agent_n1)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent_n1.pk


def test_a_requester_gets_their_own_and_a_404_for_another_requesters(requester):
    own = make_ticket(requester=requester)
    other = make_ticket(requester=UserFactory(username="voisin"))
    same_ticket(get_ticket_for(requester, own.reference), as_django_reads_it(own.reference))
    with pytest.raises(Http404):
        get_ticket_for(requester, other.reference)

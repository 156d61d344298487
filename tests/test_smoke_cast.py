from tests.factories import advance


def test_a_ticket_walks_from_new_to_closed_through_the_services(ticket, agent_n1, requester):
    closed = advance(ticket, to="closed", agent=agent_n1)

    assert closed.status == "closed"
    assert [e.data.get("transition") for e in closed.events.filter(kind="transition")] == [
        "take", "resolve", "close",
    ]

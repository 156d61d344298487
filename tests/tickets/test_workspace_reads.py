"""The workspace's side reads, each a statement compiled once per connection (core.db, issue 16): the requester's
other tickets, the links in both directions, the ticket's own files. The same answers for every ticket a
connection serves, whichever it served first."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import make_ticket
from tickets.models import LinkKind, TicketLink
from tickets.selectors import RECENT_TICKETS, requester_recent_tickets, ticket_attachments, ticket_links


def _tickets(requester, category, count: int) -> list:
    start = timezone.now() - timedelta(days=count)
    made = []
    for number in range(count):
        with time_machine.travel(start + timedelta(days=number), tick=False):
            made.append(make_ticket(requester=requester, category=category, title=f"Demande {number}"))
    return made  # oldest first


def test_the_requester_s_other_tickets_newest_first_without_the_ticket_itself(requester, category, other_requester):
    made = _tickets(requester, category, RECENT_TICKETS + 2)
    make_ticket(requester=other_requester, category=category, title="Pas la sienne")

    newest, oldest = made[-1], made[0]

    assert requester_recent_tickets(ticket=newest) == list(reversed(made[-RECENT_TICKETS - 1:-1]))
    assert requester_recent_tickets(ticket=oldest) == list(reversed(made[-RECENT_TICKETS:]))
    assert requester_recent_tickets(ticket=made[-3]) == [made[-1], made[-2], made[-4], made[-5], made[-6]]


def test_links_read_in_both_directions_for_each_ticket(requester, category, agent_n1):
    first, second, third = (make_ticket(requester=requester, category=category, title=f"Lien {n}") for n in range(3))
    TicketLink.objects.create(source=first, target=second, kind=LinkKind.RELATES, created_by=agent_n1)
    TicketLink.objects.create(source=third, target=first, kind=LinkKind.RELATES, created_by=agent_n1)

    assert [(row["other"].reference, row["outgoing"]) for row in ticket_links(ticket=first)] == [
        (second.reference, True), (third.reference, False)]
    assert [(row["other"].reference, row["outgoing"]) for row in ticket_links(ticket=second)] == [
        (first.reference, False)]
    assert ticket_links(ticket=make_ticket(requester=requester, category=category)) == []


def test_the_ticket_s_own_files_not_its_followups_and_no_other_ticket_s(requester, category, agent_n1):
    mine = make_ticket(requester=requester, category=category,
                       attachments=[SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\nx", "image/png")])
    other = make_ticket(requester=requester, category=category,
                        attachments=[SimpleUploadedFile("autre.txt", b"x\n", "text/plain")])

    files = ticket_attachments(ticket=mine, user=agent_n1)

    assert [attachment.original_name for attachment in files] == ["capture.png"]
    assert files[0].get_absolute_url().startswith(f"/tickets/{mine.reference}/")
    assert [a.original_name for a in ticket_attachments(ticket=other, user=agent_n1)] == ["autre.txt"]

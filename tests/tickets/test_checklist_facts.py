"""The checklist's deliverables that tick themselves from what happened: the acknowledgement of receipt once it was
sent, the feedback once the survey was answered (read together, in one statement)."""

from __future__ import annotations

from django.utils import timezone

from tests.factories import make_ticket
from tickets.checklists import ticket_checklists
from tickets.models import Notification, Survey


def _done(ticket) -> dict[str, bool]:
    return {item["code"]: item["done"] for phase in ticket_checklists(ticket) for item in phase["items"]}


def test_the_acknowledgement_is_done_once_sent_and_the_feedback_once_answered(requester, category,
                                                                            django_assert_num_queries):
    ticket = make_ticket(requester=requester, category=category)
    Notification.objects.filter(event__ticket=ticket, template="ticket_created").update(sent_at=None)
    done = _done(ticket)
    assert not done["acknowledgement_sent"] and not done["feedback_collected"]

    Notification.objects.filter(event__ticket=ticket, template="ticket_created").update(sent_at=timezone.now())
    survey = Survey.objects.create(ticket=ticket)
    assert _done(ticket)["acknowledgement_sent"] and not _done(ticket)["feedback_collected"]

    survey.score, survey.answered_at = 4, timezone.now()
    survey.save()
    # The ticked items, then both facts in one statement.
    with django_assert_num_queries(2):
        done = _done(ticket)
    assert done["acknowledgement_sent"] and done["feedback_collected"]

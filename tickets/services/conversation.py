"""The conversation on a ticket: public replies and private notes, and the requester's survey answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_agent
from core.exceptions import ActionRefused

from .. import signals
from ..models import Channel, EventKind, Followup, Status, Survey, Ticket, TicketEvent
from ..outbox import notify
from ._rows import attach, lock, write
from .lifecycle import resume, ticket_create


@dataclass(frozen=True)
class FollowupResult:
    followup: Followup | None  # None when a closed ticket's reply became a new ticket
    ticket: Ticket  # the ticket the message landed on: a new one when the original was closed


@transaction.atomic
def followup_add(*, ticket: Ticket, author, body: str, is_public: bool = True,
                 attachments: Sequence = (), expected_version: int | None = None) -> FollowupResult:
    """Add a public reply or a private note.

    A requester's reply is always public; on a waiting ticket it resumes it; on a closed ticket it
    opens a new ticket linked to the closed one. An agent's first public reply is the first response.
    """
    if not body.strip():
        raise ActionRefused(_("The message is empty."), ticket=ticket)
    agent = is_agent(author)
    if not agent:
        is_public = True
    ticket = lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        if agent:
            if is_public:
                raise ActionRefused(
                    _("This ticket is closed: a public reply is no longer possible."), ticket=ticket
                )
        else:
            title = _("Follow-up of %(reference)s: %(title)s") % {
                "reference": ticket.reference, "title": ticket.title,
            }
            new_ticket = ticket_create(
                requester=ticket.requester, title=title[:200],
                description=body, ticket_type=ticket.ticket_type, urgency=ticket.urgency,
                impact=ticket.impact, category=ticket.category, channel=Channel.WEB,
                attachments=attachments, parent=ticket,
            )
            TicketEvent.objects.record(
                ticket=ticket, kind=EventKind.LINKED, actor=author,
                data={"reference": new_ticket.reference},
            )
            return FollowupResult(followup=None, ticket=new_ticket)
    followup = Followup.objects.create(ticket=ticket, author=author, body=body, is_public=is_public)
    attach(ticket=ticket, files=attachments, uploaded_by=author, followup=followup)
    fields: list[str] = []
    if agent and is_public and ticket.first_response_at is None:
        ticket.first_response_at = followup.created_at
        fields.append("first_response_at")
    write([ticket], fields)
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.FOLLOWUP if is_public else EventKind.NOTE,
        actor=author, public=is_public, followup=followup,
    )
    signals.followup_added.send(sender=Ticket, ticket=ticket, followup=followup)
    if agent and is_public:
        notify(event=event, recipients=[ticket.requester], template="public_reply")
    elif not agent:
        if ticket.status == Status.WAITING:
            resume(ticket, author)
        notify(event=event, recipients=[ticket.assignee], template="requester_reply")
    return FollowupResult(followup=followup, ticket=ticket)


def survey_answer(*, survey: Survey, score: int, comment: str, actor=None) -> Survey:
    """Record the requester's answer, once: the conditional update refuses a second answer even
    when two submissions race. `actor` is None when answered through the signed email link."""
    if not 1 <= int(score) <= 5:
        raise ActionRefused(_("Give a score from 1 to 5."), ticket=survey.ticket)
    with transaction.atomic():
        answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            score=score, comment=comment.strip(), answered_at=timezone.now()
        )
        if not answered:
            raise ActionRefused(_("This survey has already been answered. Thank you!"), ticket=survey.ticket)
        survey.refresh_from_db()
        TicketEvent.objects.record(
            ticket=survey.ticket, kind=EventKind.SURVEY, actor=actor or survey.ticket.requester, public=False,
            data={"score": survey.score, "comment": survey.comment},
        )
    return survey


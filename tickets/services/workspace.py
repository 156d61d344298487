"""The agent's workspace: the template's checklists, the root cause, and links between tickets
(a duplicate is merged into its original and closed)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_agent
from core.exceptions import ActionRefused

from ..checklists import MANUAL_CODES
from ..models import ChecklistItem, EventKind, Followup, LinkKind, Status, Ticket, TicketEvent, TicketLink
from ._rows import lock, transition, write


@transaction.atomic
def ticket_check_item(*, ticket: Ticket, actor, code: str, done: bool,
                      expected_version: int | None = None) -> Ticket:
    """Tick or untick a deliverable of the template that only agents can know about."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents tick the checklists."), ticket=ticket)
    if code not in MANUAL_CODES:
        raise ActionRefused(_("This item ticks itself; it cannot be changed by hand."), ticket=ticket)
    ticket = lock(ticket, expected_version)
    if done:
        _item, created = ChecklistItem.objects.get_or_create(ticket=ticket, code=code,
                                                              defaults={"done_by": actor})
    else:
        created = bool(ChecklistItem.objects.filter(ticket=ticket, code=code).delete()[0])
    if created:
        write([ticket], [])
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.CHECKLIST, actor=actor, public=False,
                                   data={"code": code, "done": done})
    return ticket


@transaction.atomic
def ticket_record_root_cause(*, ticket: Ticket, actor, root_cause: str,
                             expected_version: int | None = None) -> Ticket:
    """Record the root cause: the ticket leaves Diagnostic for Résolution."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents record the root cause."), ticket=ticket)
    if not root_cause.strip():
        raise ActionRefused(_("Describe the root cause."), ticket=ticket)
    ticket = lock(ticket, expected_version)
    if ticket.status not in (Status.IN_PROGRESS, Status.WAITING):
        raise ActionRefused(_("The root cause is recorded while the ticket is being worked on."), ticket=ticket)
    ticket.root_cause = root_cause.strip()
    write([ticket], ["root_cause"])
    TicketEvent.objects.record(ticket=ticket, kind=EventKind.ROOT_CAUSE, actor=actor, public=False,
                               data={"root_cause": ticket.root_cause})
    return ticket


@transaction.atomic
def ticket_link(*, ticket: Ticket, actor, other: Ticket, kind: str) -> TicketLink:
    """Relate two tickets, or mark `ticket` as a duplicate of `other` and merge it there: its
    description and followups are copied onto `other` and it is closed."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents link tickets."), ticket=ticket)
    if other.pk == ticket.pk:
        raise ActionRefused(_("A ticket cannot be linked to itself."), ticket=ticket)
    if TicketLink.objects.filter(source__in=[ticket, other], target__in=[ticket, other]).exists():
        raise ActionRefused(_("These tickets are already linked."), ticket=ticket)
    ticket = lock(ticket, None)
    other = lock(other, None)
    if kind == LinkKind.DUPLICATE_OF:
        if other.status == Status.CLOSED:
            raise ActionRefused(_("A ticket cannot be merged into a closed ticket."), ticket=ticket)
        _merge_into(duplicate=ticket, original=other, actor=actor)
        ticket.closed_at = timezone.now()
        transition([ticket], "merge", actor=actor, fields=["closed_at"], data={"into": other.reference})
    link = TicketLink.objects.create(source=ticket, target=other, kind=kind, created_by=actor)
    for one, two in ((ticket, other), (other, ticket)):
        TicketEvent.objects.record(ticket=one, kind=EventKind.LINKED, actor=actor, public=False,
                                   data={"reference": two.reference, "kind": kind, "outgoing": one is ticket})
    return link


def _merge_into(*, duplicate: Ticket, original: Ticket, actor) -> None:
    header = _("Merged from %(reference)s") % {"reference": duplicate.reference}
    copies = [Followup(ticket=original, author=duplicate.requester, is_public=False,
                       body=f"[{header}] {duplicate.title}\n\n{duplicate.description}")]
    copies += [
        Followup(ticket=original, author=followup.author, is_public=followup.is_public,
                 body=f"[{header}] {followup.body}")
        for followup in duplicate.followups.order_by("created_at", "id")
    ]
    for followup in copies:
        followup.save()
        TicketEvent.objects.record(
            ticket=original, kind=EventKind.FOLLOWUP if followup.is_public else EventKind.NOTE,
            actor=followup.author, public=followup.is_public, followup=followup,
        )
    write([original], [])

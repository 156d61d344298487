"""Who works the ticket and how urgently: assignment, priority, support level (a rule's batch or one
ticket, one path), the participants who follow it and the recurring-problem flag."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_agent
from core.exceptions import ActionRefused

from .. import signals
from ..models import EventKind, Followup, Priority, Status, Ticket, TicketEvent
from ..outbox import notify_new_events
from ._rows import fsm, lock, write


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee, expected_version: int | None = None) -> Ticket:
    """Give the ticket to an agent (or to nobody)."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents assign tickets."), ticket=ticket)
    if assignee is not None and not is_agent(assignee):
        raise ActionRefused(_("Tickets can only be assigned to agents."), ticket=ticket)
    ticket = lock(ticket, expected_version)
    assign(ticket, actor, assignee)
    return ticket


def assign(ticket: Ticket, actor, assignee) -> TicketEvent:
    """Give the locked ticket to `assignee` (None: the level's group); the assignee is told."""
    return tickets_assign(tickets=[ticket], assignees={ticket.pk: assignee}, actor=actor)[0]


def tickets_assign(*, tickets: Sequence[Ticket], assignees: dict[int, object], actor=None,
                   why: dict[int, dict] | None = None) -> list[TicketEvent]:
    """Give each locked ticket to `assignees[ticket.pk]` (None: the level's group), a person's choice or
    an automatic one (`actor` None). One UPDATE, one INSERT of the private events, which keep `why[pk]`
    (what explains an automatic choice; the app that made it registers its words in tickets.labels),
    and one INSERT of the emails telling each new assignee. Returns the events, in the order of `tickets`."""
    if not tickets:
        return []
    for ticket in tickets:
        if ticket.status == Status.CLOSED:
            raise ActionRefused(_("A closed ticket cannot be reassigned."), ticket=ticket)
    previous = {ticket.pk: ticket.assignee for ticket in tickets}
    for ticket in tickets:
        ticket.assignee = assignees[ticket.pk]
    write(tickets, ["assignee"])
    why = why or {}
    rows = []
    for ticket in tickets:
        before, after = previous[ticket.pk], ticket.assignee
        data = {"from": before.get_username() if before else None,
                "to": after.get_username() if after else None,
                "to_name": (after.get_full_name() or after.get_username()) if after else None}
        if ticket.pk in why:
            data["why"] = why[ticket.pk]
        rows.append((ticket, EventKind.ASSIGNED, data))
    events = TicketEvent.objects.record_many(rows, actor=actor, public=False)
    notify_new_events([(event, [event.ticket.assignee], "ticket_assigned") for event in events
                       if event.ticket.assignee is not None
                       and (actor is None or event.ticket.assignee.pk != actor.pk)])
    return events


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor, priority: str, reason: str,
                           expected_version: int | None = None) -> Ticket:
    """Override the matrix priority with a reason kept in the history."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents change the priority."), ticket=ticket)
    if not reason.strip():
        raise ActionRefused(_("Give the reason for changing the priority."), ticket=ticket)
    Priority(priority)
    ticket = lock(ticket, expected_version)
    if not ticket.is_open:
        raise ActionRefused(_("The priority of a resolved or closed ticket cannot change."), ticket=ticket)
    old = ticket.priority
    if old == priority:
        raise ActionRefused(_("The ticket already has this priority."), ticket=ticket)
    ticket.priority = priority
    ticket.priority_overridden = True
    write([ticket], ["priority", "priority_overridden"])
    TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.PRIORITY_CHANGED, actor=actor, public=False,
        data={"from": old, "to": priority, "reason": reason.strip()},
    )
    signals.ticket_priority_changed.send(sender=Ticket, ticket=ticket, actor=actor, old=old, new=priority)
    return ticket


# --- Support level


def tickets_set_level(*, tickets: Sequence[Ticket], levels: dict[int, str], reason: str, rule: str = "",
                      actor=None, assignee=None, followup: Followup | None = None,
                      note: str = "") -> list[TicketEvent]:
    """Move each locked ticket to `levels[ticket.pk]` (up: an in-progress ticket makes its escalate
    transition), with a reason; the new owner is `assignee` (an agent of that level) or the level's
    whole group (None). `actor` None is a rule. One UPDATE, a private event each with the details, a
    public one for each that went up (a specialist took over), and tickets_level_changed once.
    Returns the private events, in the order of `tickets`."""
    if not tickets:
        return []
    now = timezone.now()
    fields = {"level", "assignee"}
    old_levels = {}
    for ticket in tickets:
        old_levels[ticket.pk] = ticket.level
        if levels[ticket.pk] > ticket.level and ticket.status == Status.IN_PROGRESS:
            fsm(ticket, "escalate", actor)
            fields.add("status")
        ticket.level = levels[ticket.pk]
        ticket.assignee = assignee
    write(tickets, fields, now=now)
    events = TicketEvent.objects.record_many(
        [(ticket, EventKind.LEVEL_CHANGED, _level_change(old_levels[ticket.pk], ticket.level, reason=reason,
                                                         rule=rule, note=note, assignee=assignee))
         for ticket in tickets],
        actor=actor, public=False, now=now,
    )
    TicketEvent.objects.record_many(
        [(ticket, EventKind.ESCALATION, {"to": ticket.level}) for ticket in tickets
         if ticket.level > old_levels[ticket.pk]],
        now=now,
    )
    signals.tickets_level_changed.send(sender=Ticket, tickets=list(tickets), old_levels=old_levels, actor=actor,
                                       reason=reason, rule=rule, assignee=assignee, followup=followup, note=note,
                                       events=events)
    return events


def _level_change(old: str, new: str, *, reason: str, rule: str, note: str = "", assignee=None) -> dict:
    """What the private history line of a level change says."""
    return {"from": old, "to": new, "reason": reason, "rule": rule, "note": note,
            "assignee": assignee.get_username() if assignee else None}


def start_level_lines(*, ticket: Ticket, level: str, reason: str, rule: str) -> list[signals.HistoryLine]:
    """A rule starts a new ticket at `level`, above the first one (the VIP rule), before its INSERT: the level set
    on the object, which the INSERT writes (no UPDATE after), and the history lines a level change by a rule
    writes (tickets_set_level), returned by the ticket_creating receiver for the creation to write with its
    "created" event. The rule's ticket_created receiver then calls `ticket_started_at_level`."""
    old, ticket.level = ticket.level, level
    return [signals.HistoryLine(EventKind.LEVEL_CHANGED, _level_change(old, level, reason=reason, rule=rule)),
            signals.HistoryLine(EventKind.ESCALATION, {"to": level}, public=True)]


def ticket_started_at_level(*, ticket: Ticket, events: Sequence[TicketEvent]) -> TicketEvent:
    """At ticket_created, for a ticket a rule started above the first level (`start_level_lines`): the level
    change's signal as tickets_set_level sends it (the escalation log, the webhooks, the dispatch to that level),
    with its private history line among the creation's `events`, which is returned."""
    event = next(event for event in events if event.kind == EventKind.LEVEL_CHANGED)
    data = event.data
    signals.tickets_level_changed.send(sender=Ticket, tickets=[ticket], old_levels={ticket.pk: data["from"]},
                                       actor=None, reason=data["reason"], rule=data["rule"], assignee=None,
                                       followup=None, note="", events=[event])
    return event


@transaction.atomic
def ticket_set_level(*, ticket: Ticket, actor, level: str, reason: str, rule: str = "",
                     assignee=None, followup: Followup | None = None, note: str = "",
                     expected_version: int | None = None) -> TicketEvent:
    """tickets_set_level for one ticket that a person (or a rule, actor None) moves, up or back down;
    refused for a closed ticket or one already at that level. Returns the private level-change event
    (its `ticket` is the ticket as changed)."""
    ticket = lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise ActionRefused(_("A closed ticket cannot change level."), ticket=ticket)
    if ticket.level == level:
        raise ActionRefused(_("The ticket is already at this level."), ticket=ticket)
    return tickets_set_level(tickets=[ticket], levels={ticket.pk: level}, reason=reason, rule=rule, actor=actor,
                             assignee=assignee, followup=followup, note=note)[0]


# --- Who follows the ticket


@transaction.atomic
def ticket_add_participants(*, ticket: Ticket, users: Sequence, actor=None, reason: str = "") -> TicketEvent | None:
    """Add agents who follow the ticket (a P1's N4 lead, the war room). Returns the event, if any was added."""
    current = set(ticket.participants.values_list("pk", flat=True))
    added = [user for user in users if user.pk not in current]
    if not added:
        return None
    ticket.participants.add(*added)
    return TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.PARTICIPANTS, actor=actor, public=False,
        data={"added": [user.get_username() for user in added], "reason": reason},
    )


def recurring_line(*, reason: str, rule: str, evidence: dict) -> signals.HistoryLine:
    """The history line of a ticket flagged recurring as it is created (its INSERT writes the flag): a
    ticket_creating receiver returns it, for the creation to write with its "created" event."""
    return signals.HistoryLine(EventKind.FLAGGED, {"flag": "recurring", "reason": reason, "rule": rule, **evidence})

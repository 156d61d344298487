"""What every ticket service shares: the row lock and version check, the write of a ticket's changed
fields (phase counters, version, updated_at), and the one path of every status transition.

Everything here works on a list of locked tickets, one statement per list: a service acting on one
ticket passes a list of one, a sweep passes its batch (docs/architecture.md, "One path per rule").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import update_rows
from core.exceptions import StaleForm
from core.fsm import apply_transition

from .. import signals
from ..models import Attachment, EventKind, Followup, Status, Ticket, TicketEvent
from ..uploads import validate_upload

# Why a transition is refused when its guard fails, per transition name.
GUARD_MESSAGES = {
    "take": lambda: _("Set the type, the category and the priority before taking the ticket."),
    "resolve": lambda: _("Write the solution before resolving the ticket."),
    "escalate": lambda: _("The ticket is already at the highest level (N4)."),
}
TRANSITION_LABELS = {
    "take": lambda: _("take"),
    "wait": lambda: _("put on hold"),
    "resume": lambda: _("resume"),
    "resolve": lambda: _("resolve"),
    "reopen": lambda: _("reopen"),
    "close": lambda: _("close"),
    "escalate": lambda: _("escalate"),
    "merge": lambda: _("merge"),
}


def lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if it changed since the caller's form was loaded."""
    fresh = (
        Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee").get(pk=ticket.pk)
    )
    # After waiting for another transaction's lock, PostgreSQL re-reads the locked ticket row but keeps
    # the joined rows it first read: a relation changed meanwhile would come back stale (or None).
    for relation in (Ticket.requester, Ticket.assignee):
        field = relation.field
        cached = field.get_cached_value(fresh, default=None)
        if getattr(cached, "pk", None) != getattr(fresh, field.attname):
            field.delete_cached_value(fresh)
    if expected_version is not None and fresh.version != expected_version:
        raise StaleForm(
            _("Ticket %(reference)s was changed by someone else while you were on the page. "
              "Here it is as it is now; please check before acting again.") % {"reference": fresh.reference},
            ticket=fresh,
        )
    return fresh


def track_phase(ticket: Ticket, now) -> list[str]:
    """Add the time spent in the phase that ends to its counter; start the next one's clock.
    The phase follows from the status and the root cause (Ticket.phase); closed stops the clock."""
    phase = ticket.phase
    closing = ticket.status == Status.CLOSED and ticket.phase_started_at is not None
    if phase == ticket.current_phase and not closing:
        return []
    fields = ["current_phase", "phase_started_at"]
    if ticket.phase_started_at is not None:
        counter = f"{ticket.current_phase}_seconds"
        elapsed = max(0, int((now - ticket.phase_started_at).total_seconds()))
        setattr(ticket, counter, getattr(ticket, counter) + elapsed)
        fields.append(counter)
    ticket.current_phase = phase
    ticket.phase_started_at = None if ticket.status == Status.CLOSED else now
    return fields


def write(tickets: Sequence[Ticket], fields: Iterable[str], *, now=None, increment: Iterable[str] = ()) -> None:
    """Write the changed `fields` of the locked `tickets`, their phase counters, a new version and
    updated_at, in one UPDATE. Each caller holds the rows' locks, so the versions read then are current:
    they are incremented in memory and in the database alike, with no read-back; so are `increment`'s
    counters."""
    now = now or timezone.now()
    fields = {*fields, "updated_at"}
    increment = list(increment)
    for ticket in tickets:
        fields.update(track_phase(ticket, now))
        ticket.version += 1
        ticket.updated_at = now
        for name in increment:
            setattr(ticket, name, getattr(ticket, name) + 1)
    update_rows(tickets, fields, increment=["version", *increment])


def fsm(ticket: Ticket, name: str, actor) -> tuple[str, str]:
    """Run the ticket's FSM transition `name` as `actor` (None: the system); return (source, target)."""
    label = TRANSITION_LABELS[name]()
    return apply_transition(
        ticket, name, actor=actor, label=label, guard=GUARD_MESSAGES.get(name, lambda: ""),
        not_from=lambda: _("You cannot %(action)s a ticket whose status is “%(status)s”.")
        % {"action": label, "status": ticket.get_status_display()},
    )


def transition(tickets: Sequence[Ticket], name: str, *, actor, fields: Iterable[str] = (), now=None,
               data: Callable[[Ticket], dict] | dict | None = None, public: bool = True,
               increment: Iterable[str] = ()) -> list[TicketEvent]:
    """The one path of a status change, for one ticket or many: the FSM transition on each locked
    ticket (whose other changed `fields` the caller has set), one UPDATE, one INSERT of the history
    events, then tickets_status_changed once. Returns the events, in the order of `tickets`."""
    if not tickets:
        return []
    now = now or timezone.now()
    sources = [fsm(ticket, name, actor)[0] for ticket in tickets]
    write(tickets, {"status", *fields}, now=now, increment=increment)
    extra = data if callable(data) else (lambda _ticket: data or {})
    events = TicketEvent.objects.record_many(
        [(ticket, EventKind.TRANSITION, {"transition": name, "from": source, "to": ticket.status, **extra(ticket)})
         for ticket, source in zip(tickets, sources, strict=True)],
        actor=actor, public=public, now=now,
    )
    signals.tickets_status_changed.send(sender=Ticket, tickets=list(tickets), actor=actor, transition=name,
                                        events=events)
    return events


def attach(*, ticket: Ticket, files: Sequence, uploaded_by, followup: Followup | None = None) -> None:
    for upload in files:
        content_type = validate_upload(upload)
        Attachment.objects.create(
            ticket=ticket, followup=followup, file=upload, original_name=upload.name[:255],
            content_type=content_type, size=upload.size, uploaded_by=uploaded_by,
        )

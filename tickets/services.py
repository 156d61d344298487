"""Every change to a ticket is one function here (STYLE.md §3).

Each service locks the ticket row, checks the rules, changes it with `save(update_fields=…)`,
records the history event in the same transaction, sends the domain signal, and schedules
notifications after commit. Views, tasks and the other apps change tickets only through here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.roles import is_agent
from helpdesk.db import insert_rows, update_rows

from . import signals
from .exceptions import TicketChanged, TransitionRefused
from .models import (
    Attachment,
    Category,
    Channel,
    ChecklistItem,
    EventKind,
    Followup,
    LinkKind,
    Notification,
    Priority,
    SlaState,
    Status,
    Survey,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketSequence,
    priority_for,
)

logger = logging.getLogger(__name__)
User = get_user_model()

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


# --- Reference allocation


def allocate_reference(*, year: int) -> str:
    """Next `YYYY-NNNNNN` for the year, without duplicates under concurrent creation.

    The conditional UPDATE takes the sequence row's lock until the caller's transaction ends,
    so concurrent creators queue on it; the row is created once per year, and a creator that
    loses that insert race retries the update.
    """
    for _attempt in range(3):
        updated = TicketSequence.objects.filter(year=year).update(last_number=F("last_number") + 1)
        if updated:
            number = TicketSequence.objects.values_list("last_number", flat=True).get(year=year)
            return f"{year}-{number:06d}"
        try:
            with transaction.atomic():
                TicketSequence.objects.create(year=year, last_number=1)
            return f"{year}-{1:06d}"
        except IntegrityError:
            continue
    raise RuntimeError("Could not allocate a ticket reference.")  # pragma: no cover


# --- Internals shared by the services


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if it changed since the caller's form was loaded."""
    fresh = (
        Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee").get(pk=ticket.pk)
    )
    if expected_version is not None and fresh.version != expected_version:
        raise TicketChanged(
            _("Ticket %(reference)s was changed by someone else while you were on the page. "
              "Here it is as it is now; please check before acting again.") % {"reference": fresh.reference},
            ticket=fresh,
        )
    return fresh


def _track_phase(ticket: Ticket, now) -> list[str]:
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


def _save(ticket: Ticket, fields: Iterable[str]) -> None:
    """Write `fields`, the phase counters, a new version and updated_at. Every caller holds the row
    lock taken by _lock in its transaction, so the version read then is current: it is incremented
    here, with no read-back after the UPDATE."""
    now = timezone.now()
    fields = [*fields, *_track_phase(ticket, now)]
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def _apply_transition(ticket: Ticket, name: str, actor) -> tuple[str, str]:
    """Run the FSM transition `name` as `actor` (None: the system); return (source, target)."""
    method = getattr(ticket, name)
    label = TRANSITION_LABELS[name]()
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(
            _("You cannot %(action)s a ticket whose status is “%(status)s”.")
            % {"action": label, "status": ticket.get_status_display()},
            ticket=ticket,
        )
    # The permission alone: django_fsm.has_transition_perm also checks the conditions, and a failed
    # guard must be reported as such (below), not as "not allowed".
    if actor is not None and not method._django_fsm.has_transition_perm(ticket, ticket.status, actor):
        raise TransitionRefused(
            _("You are not allowed to %(action)s this ticket.") % {"action": label}, ticket=ticket
        )
    if not can_proceed(method):
        raise TransitionRefused(GUARD_MESSAGES[name](), ticket=ticket)
    source = ticket.status
    method()
    return source, ticket.status


def _record_transition(ticket: Ticket, *, actor, name: str, source: str, target: str,
                       data: dict | None = None, public: bool = True) -> TicketEvent:
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.TRANSITION, actor=actor, public=public,
        data={"transition": name, "from": source, "to": target, **(data or {})},
    )
    signals.ticket_status_changed.send(
        sender=Ticket, ticket=ticket, actor=actor, transition=name, source=source, target=target, event=event
    )
    return event


def notify(*, event: TicketEvent, recipients: Sequence, template: str) -> None:
    """Write the outbox rows now, in one INSERT; enqueue their sending once the transaction commits.

    Idempotent: a recipient already notified of this event with this template gets no second row.
    """
    rows = _outbox_rows([(event, recipients, template)])
    if not rows:
        return
    already = set(
        Notification.objects.filter(event=event, template=template, recipient_id__in=[r for _e, r, _t in rows])
        .values_list("recipient_id", flat=True)
    )
    _outbox_write([notification for (_e, recipient, _t), notification in rows.items() if recipient not in already])


def _outbox_rows(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> dict[tuple, Notification]:
    """One unsaved Notification per (event, recipient with an email, template), keyed by those ids."""
    rows = {}
    for event, recipients, template in items:
        for recipient in recipients:
            if recipient is not None and recipient.email:
                rows[(event.pk, recipient.pk, template)] = Notification(event=event, recipient=recipient,
                                                                        template=template)
    return rows


def _outbox_write(notifications: list[Notification]) -> None:
    """The outbox rows in one INSERT; one broker message for all of them once the transaction commits."""
    from .tasks import enqueue_notifications

    ids = [notification.pk for notification in insert_rows(notifications)]
    if ids:
        transaction.on_commit(lambda: enqueue_notifications(ids))


def _attach(*, ticket: Ticket, files: Sequence, uploaded_by, followup: Followup | None = None) -> None:
    from .uploads import validate_upload

    for upload in files:
        content_type = validate_upload(upload)
        Attachment.objects.create(
            ticket=ticket, followup=followup, file=upload, original_name=upload.name[:255],
            content_type=content_type, size=upload.size, uploaded_by=uploaded_by,
        )


# --- Creation


@transaction.atomic
def ticket_create(
    *,
    requester,
    title: str,
    description: str,
    ticket_type: str,
    urgency: str,
    impact: str,
    category: Category | None = None,
    channel: str = Channel.WEB,
    created_by=None,
    attachments: Sequence = (),
    parent: Ticket | None = None,
) -> Ticket:
    """Create a ticket with its reference and matrix priority, record it, acknowledge receipt.

    `created_by` is the agent who records a phone or chat ticket for the requester (else the requester).
    """
    now = timezone.now()
    actor = created_by or requester
    profile = getattr(requester, "profile", None) if hasattr(requester, "profile") else None
    ticket = Ticket(
        reference=allocate_reference(year=timezone.localtime(now).year),
        title=title.strip(),
        description=description,
        ticket_type=ticket_type,
        category=category,
        channel=channel,
        urgency=urgency,
        impact=impact,
        priority=priority_for(urgency=urgency, impact=impact),
        requester=requester,
        organisation=profile.organisation if profile else None,
        parent=parent,
        created_at=now,
        updated_at=now,
        phase_started_at=now,
    )
    ticket.save(force_insert=True)
    _attach(ticket=ticket, files=attachments, uploaded_by=actor)
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.CREATED, actor=actor,
        data={"channel": channel, "priority": ticket.priority,
              "parent": parent.reference if parent else None},
    )
    signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor)
    notify(event=event, recipients=[requester], template="ticket_created")
    return ticket


# --- Transitions


@transaction.atomic
def ticket_take(*, ticket: Ticket, actor, ticket_type: str | None = None, category: Category | None = None,
                expected_version: int | None = None) -> Ticket:
    """Qualify and take a new ticket: sets type and category if given, assigns it to `actor`
    (unless already assigned); counts as the first response."""
    ticket = _lock(ticket, expected_version)
    fields = ["status"]
    qualified = {}
    if ticket_type and ticket_type != ticket.ticket_type:
        qualified["type"] = ticket.ticket_type = ticket_type
        fields.append("ticket_type")
    if category is not None and category.pk != ticket.category_id:
        ticket.category = category
        qualified["category"] = category.full_name
        fields.append("category")
    source, target = _apply_transition(ticket, "take", actor)
    if ticket.assignee_id is None:
        ticket.assignee = actor
        fields.append("assignee")
    if ticket.first_response_at is None:
        ticket.first_response_at = timezone.now()
        fields.append("first_response_at")
    _save(ticket, fields)
    event = _record_transition(ticket, actor=actor, name="take", source=source, target=target,
                               data={"assignee": ticket.assignee.get_username(), **qualified})
    notify(event=event, recipients=[ticket.requester], template="status_changed")
    return ticket


@transaction.atomic
def ticket_wait(*, ticket: Ticket, actor, message: str, expected_version: int | None = None) -> Ticket:
    """Put the ticket on hold with a public followup saying what is awaited; the clock pauses."""
    if not message.strip():
        raise TransitionRefused(_("Say what you are waiting for: the requester will read it."), ticket=ticket)
    ticket = _lock(ticket, expected_version)
    source, target = _apply_transition(ticket, "wait", actor)
    ticket.waiting_since = timezone.now()
    _save(ticket, ["status", "waiting_since"])
    followup = Followup.objects.create(ticket=ticket, author=actor, body=message, is_public=True)
    TicketEvent.objects.record(ticket=ticket, kind=EventKind.FOLLOWUP, actor=actor, followup=followup)
    event = _record_transition(ticket, actor=actor, name="wait", source=source, target=target)
    notify(event=event, recipients=[ticket.requester], template="status_changed")
    return ticket


def _resume(ticket: Ticket, actor) -> TicketEvent:
    source, target = _apply_transition(ticket, "resume", actor)
    paused_since = ticket.waiting_since
    ticket.waiting_since = None
    _save(ticket, ["status", "waiting_since"])
    paused = (timezone.now() - paused_since).total_seconds() if paused_since else 0
    return _record_transition(ticket, actor=actor, name="resume", source=source, target=target,
                              data={"paused_seconds": round(paused),
                                    "paused_since": paused_since.isoformat() if paused_since else None})


@transaction.atomic
def ticket_resume(*, ticket: Ticket, actor, expected_version: int | None = None) -> Ticket:
    """Take a waiting ticket back in hand; the resolution clock resumes."""
    ticket = _lock(ticket, expected_version)
    _resume(ticket, actor)
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor, solution: str, expected_version: int | None = None) -> Ticket:
    """Record the solution and resolve; the requester is told and asked to confirm or reject."""
    ticket = _lock(ticket, expected_version)
    ticket.solution = solution.strip()
    source, target = _apply_transition(ticket, "resolve", actor)
    ticket.resolved_at = timezone.now()
    _save(ticket, ["status", "solution", "resolved_at"])
    event = _record_transition(ticket, actor=actor, name="resolve", source=source, target=target,
                               data={"solution": ticket.solution})
    notify(event=event, recipients=[ticket.requester], template="ticket_resolved")
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor, reason: str, expected_version: int | None = None) -> Ticket:
    """Reject the solution (requester) or reopen it (agent), with a reason; counts as a reopening."""
    if not reason.strip():
        raise TransitionRefused(_("Give the reason for reopening the ticket."), ticket=ticket)
    ticket = _lock(ticket, expected_version)
    source, target = _apply_transition(ticket, "reopen", actor)
    ticket.reopen_count = F("reopen_count") + 1
    ticket.resolved_at = None
    _save(ticket, ["status", "reopen_count", "resolved_at"])
    ticket.refresh_from_db(fields=["reopen_count"])
    event = _record_transition(ticket, actor=actor, name="reopen", source=source, target=target,
                               data={"reason": reason.strip()})
    recipients = [ticket.assignee] if actor.pk == ticket.requester_id else [ticket.requester]
    notify(event=event, recipients=recipients, template="status_changed")
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor, expected_version: int | None = None,
                 automatic: bool = False) -> Ticket:
    """Close a resolved ticket: the requester confirms, or the auto-close job (actor None) decides."""
    ticket = _lock(ticket, expected_version)
    source, target = _apply_transition(ticket, "close", actor)
    ticket.closed_at = timezone.now()
    _save(ticket, ["status", "closed_at"])
    event = _record_transition(ticket, actor=actor, name="close", source=source, target=target,
                               data={"automatic": automatic})
    notify(event=event, recipients=[ticket.requester], template=_survey_once([ticket])[ticket.pk])
    return ticket


def _survey_once(tickets: Sequence[Ticket]) -> dict[int, str]:
    """Create the satisfaction surveys the closed `tickets` (locked by the caller) do not have yet, in
    one INSERT; the requester's email template for each: the survey, or, for a ticket closed again
    after a reopening, only the status change (one survey per ticket)."""
    surveyed = set(Survey.objects.filter(ticket__in=tickets).values_list("ticket_id", flat=True))
    Survey.objects.bulk_create([Survey(ticket=ticket) for ticket in tickets if ticket.pk not in surveyed])
    return {ticket.pk: "status_changed" if ticket.pk in surveyed else "survey" for ticket in tickets}


def tickets_auto_close(*, now=None, limit: int = 1000, batch: int = 500) -> int:
    """Close resolved tickets left unanswered for HELPDESK_AUTO_CLOSE_DAYS; returns how many.

    What ticket_close does for one ticket, done for a batch at once: the batch is picked by the
    (status, resolved_at) index and locked with SKIP LOCKED (two runs at once share the work, and a
    ticket someone is acting on waits for the next run); each ticket goes through the same FSM
    transition and phase accounting, then one UPDATE, one INSERT of the close events, one of the
    surveys (once per ticket, as ticket_close), one of the requesters' notifications, and the
    tickets_status_changed signal for the other apps. A constant number of statements per batch.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)
    closed = 0
    while closed < limit:
        size = min(batch, limit - closed)
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(skip_locked=True, of=("self",)).select_related("requester")
                .filter(status=Status.RESOLVED, resolved_at__lte=cutoff).order_by("resolved_at", "id")[:size]
            )
            _close_automatically(tickets, now)
        closed += len(tickets)
        if len(tickets) < size:
            break
    return closed


def _close_automatically(tickets: list[Ticket], now) -> None:
    if not tickets:
        return
    fields = {"status", "closed_at", "updated_at"}
    for ticket in tickets:
        _apply_transition(ticket, "close", None)
        ticket.closed_at = now
        fields.update(_track_phase(ticket, now))
        ticket.version += 1
        ticket.updated_at = now
    update_rows(tickets, fields, increment=["version"])
    data = {"transition": "close", "from": Status.RESOLVED, "to": Status.CLOSED, "automatic": True}
    events = insert_rows([
        TicketEvent(ticket=ticket, kind=EventKind.TRANSITION, is_public=True, data=data, created_at=now)
        for ticket in tickets
    ])
    templates = _survey_once(tickets)
    notify_new_events((event, [ticket.requester], templates[ticket.pk])
                      for ticket, event in zip(tickets, events, strict=True))
    signals.tickets_status_changed.send(sender=Ticket, tickets=tickets, actor=None, transition="close",
                                        source=Status.RESOLVED, target=Status.CLOSED, events=events)


# --- Other changes


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee, expected_version: int | None = None) -> Ticket:
    """Give the ticket to an agent (or to nobody)."""
    if not is_agent(actor):
        raise TransitionRefused(_("Only agents assign tickets."), ticket=ticket)
    if assignee is not None and not is_agent(assignee):
        raise TransitionRefused(_("Tickets can only be assigned to agents."), ticket=ticket)
    ticket = _lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise TransitionRefused(_("A closed ticket cannot be reassigned."), ticket=ticket)
    previous = ticket.assignee
    ticket.assignee = assignee
    _save(ticket, ["assignee"])
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.ASSIGNED, actor=actor, public=False,
        data={"from": previous.get_username() if previous else None,
              "to": assignee.get_username() if assignee else None,
              "to_name": (assignee.get_full_name() or assignee.get_username()) if assignee else None},
    )
    if assignee is not None and assignee.pk != actor.pk:
        notify(event=event, recipients=[assignee], template="ticket_assigned")
    return ticket


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor, priority: str, reason: str,
                           expected_version: int | None = None) -> Ticket:
    """Override the matrix priority with a reason kept in the history."""
    if not is_agent(actor):
        raise TransitionRefused(_("Only agents change the priority."), ticket=ticket)
    if not reason.strip():
        raise TransitionRefused(_("Give the reason for changing the priority."), ticket=ticket)
    Priority(priority)
    ticket = _lock(ticket, expected_version)
    if not ticket.is_open:
        raise TransitionRefused(_("The priority of a resolved or closed ticket cannot change."), ticket=ticket)
    old = ticket.priority
    if old == priority:
        raise TransitionRefused(_("The ticket already has this priority."), ticket=ticket)
    ticket.priority = priority
    ticket.priority_overridden = True
    _save(ticket, ["priority", "priority_overridden"])
    TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.PRIORITY_CHANGED, actor=actor, public=False,
        data={"from": old, "to": priority, "reason": reason.strip()},
    )
    signals.ticket_priority_changed.send(sender=Ticket, ticket=ticket, actor=actor, old=old, new=priority)
    return ticket


@transaction.atomic
def ticket_set_level(*, ticket: Ticket, actor, level: str, reason: str, rule: str = "",
                     assignee=None, followup: Followup | None = None, note: str = "",
                     expected_version: int | None = None) -> tuple[Ticket, TicketEvent]:
    """Move the ticket to another support level (escalation up, or back down), with a reason.

    Used by the escalation app for manual and rule-driven moves; `actor` None means a rule. The new
    owner is `assignee` (an agent of that level) or the level's whole group (None). Records a private
    event with the details and a public one telling the requester that a specialist took over.
    """
    ticket = _lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise TransitionRefused(_("A closed ticket cannot change level."), ticket=ticket)
    old = ticket.level
    if old == level:
        raise TransitionRefused(_("The ticket is already at this level."), ticket=ticket)
    fields = ["level", "assignee"]
    if level > old and ticket.status == Status.IN_PROGRESS:
        _apply_transition(ticket, "escalate", actor)
        fields.append("status")
    ticket.level = level
    ticket.assignee = assignee
    _save(ticket, fields)
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.LEVEL_CHANGED, actor=actor, public=False,
        data=_level_change_data(old, level, reason=reason, rule=rule, note=note, assignee=assignee),
    )
    if level > old:
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.ESCALATION, actor=None, public=True,
                                   data={"to": level})
    signals.ticket_level_changed.send(
        sender=Ticket, ticket=ticket, actor=actor, old=old, new=level, reason=reason, rule=rule,
        assignee=assignee, followup=followup, note=note, event=event,
    )
    return ticket, event


def _level_change_data(old: str, new: str, *, reason: str, rule: str, note: str = "", assignee=None) -> dict:
    return {"from": old, "to": new, "reason": reason, "rule": rule, "note": note,
            "assignee": assignee.get_username() if assignee else None}


def tickets_raise_level(*, tickets: list[Ticket], levels: dict[int, str], reason: str,
                        rule: str) -> list[TicketEvent]:
    """ticket_set_level for a rule that moves many tickets up at once (the system acts, the new level's
    group owns them). The caller has locked `tickets` (select_for_update) in its transaction and
    checked that each may go up to `levels[ticket.pk]`. The same transition and history events, in a
    constant number of statements; tickets_level_changed tells the other apps. Returns the private
    level-change events, in the order of `tickets`.
    """
    if not tickets:
        return []
    now = timezone.now()
    fields = {"level", "assignee", "updated_at"}
    old_levels = {}
    for ticket in tickets:
        old_levels[ticket.pk] = ticket.level
        if ticket.status == Status.IN_PROGRESS:
            _apply_transition(ticket, "escalate", None)
            fields.add("status")
        ticket.level = levels[ticket.pk]
        ticket.assignee = None
        fields.update(_track_phase(ticket, now))
        ticket.version += 1
        ticket.updated_at = now
    update_rows(tickets, fields, increment=["version"])
    events = insert_rows([
        TicketEvent(ticket=ticket, kind=EventKind.LEVEL_CHANGED, is_public=False, created_at=now,
                    data=_level_change_data(old_levels[ticket.pk], ticket.level, reason=reason, rule=rule))
        for ticket in tickets
    ])
    insert_rows([TicketEvent(ticket=ticket, kind=EventKind.ESCALATION, is_public=True, created_at=now,
                             data={"to": ticket.level}) for ticket in tickets])
    signals.tickets_level_changed.send(sender=Ticket, tickets=tickets, old_levels=old_levels, reason=reason,
                                       rule=rule, events=events)
    return events


def notify_new_events(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> None:
    """notify for many (event, recipients, template) at once, the events created in this transaction:
    none has a notification yet, so the outbox rows of all go in with one INSERT."""
    _outbox_write(list(_outbox_rows(items).values()))


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


@transaction.atomic
def ticket_mark_recurring(*, ticket: Ticket, reason: str, rule: str = "") -> TicketEvent | None:
    """Flag the ticket as a recurring problem (once)."""
    updated = Ticket.objects.filter(pk=ticket.pk, is_recurring=False).update(is_recurring=True)
    if not updated:
        return None
    ticket.is_recurring = True
    return TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.FLAGGED, actor=None, public=False,
        data={"flag": "recurring", "reason": reason, "rule": rule},
    )


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
        raise TransitionRefused(_("The message is empty."), ticket=ticket)
    agent = is_agent(author)
    if not agent:
        is_public = True
    ticket = _lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        if agent:
            if is_public:
                raise TransitionRefused(
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
    _attach(ticket=ticket, files=attachments, uploaded_by=author, followup=followup)
    fields: list[str] = []
    if agent and is_public and ticket.first_response_at is None:
        ticket.first_response_at = followup.created_at
        fields.append("first_response_at")
    _save(ticket, fields)
    event = TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.FOLLOWUP if is_public else EventKind.NOTE,
        actor=author, public=is_public, followup=followup,
    )
    signals.followup_added.send(sender=Ticket, ticket=ticket, followup=followup)
    if agent and is_public:
        notify(event=event, recipients=[ticket.requester], template="public_reply")
    elif not agent:
        if ticket.status == Status.WAITING:
            _resume(ticket, author)
        notify(event=event, recipients=[ticket.assignee], template="requester_reply")
    return FollowupResult(followup=followup, ticket=ticket)


def ticket_set_deadlines(*, ticket: Ticket, response_due_at, resolution_due_at, reason: str,
                         record: bool = True) -> Ticket:
    """Store the SLA deadlines the sla app computed (at creation, on priority or policy change, on resume).

    Runs inside the caller's transaction; writes a private SLA history event unless `record` is False
    (creation, where the created event already says it all).
    """
    Ticket.objects.filter(pk=ticket.pk).update(
        response_due_at=response_due_at, resolution_due_at=resolution_due_at
    )
    old = (ticket.response_due_at, ticket.resolution_due_at)
    ticket.response_due_at, ticket.resolution_due_at = response_due_at, resolution_due_at
    if record and old != (response_due_at, resolution_due_at):
        TicketEvent.objects.record(
            ticket=ticket, kind=EventKind.SLA, actor=None, public=False,
            data={"sla": "deadlines", "reason": reason,
                  "response_due_at": response_due_at.isoformat() if response_due_at else None,
                  "resolution_due_at": resolution_due_at.isoformat() if resolution_due_at else None},
        )
    return ticket


def tickets_record_sla_events(items: Sequence[tuple[Ticket, str, str, object]]) -> list[TicketEvent]:
    """Write SLA warnings and breaches, (ticket, target, stage, due_at) each, into the tickets'
    timelines (called by the sla sweep for a batch), and keep each ticket's sla_state at the worst
    stage recorded: two UPDATEs and one INSERT whatever the number. Returns the events in order."""
    breached = {ticket.pk for ticket, _target, stage, _due in items if stage == "breach"}
    warned = {ticket.pk for ticket, _target, stage, _due in items} - breached
    if breached:
        Ticket.objects.filter(pk__in=breached).exclude(sla_state=SlaState.BREACHED).update(sla_state=SlaState.BREACHED)
    if warned:
        Ticket.objects.filter(pk__in=warned, sla_state=SlaState.ON_TIME).update(sla_state=SlaState.WARNING)
    return insert_rows([
        TicketEvent(ticket=ticket, kind=EventKind.SLA, is_public=False,
                    data={"sla": stage, "target": target, "due_at": due_at.isoformat() if due_at else None})
        for ticket, target, stage, due_at in items
    ])


# --- Major incidents (the postmortem app calls these; tickets never imports it)


def ticket_record_incident_event(*, ticket: Ticket, action: str, actor=None, data: dict | None = None,
                                 public: bool = False) -> TicketEvent:
    """Write a major-incident step (declared, mobilised, update, link, reminder…) into the ticket's
    timeline, inside the caller's transaction; the caller attaches its notifications to the event."""
    return TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.INCIDENT, actor=actor, public=public,
        data={"incident": action, **(data or {})},
    )


@transaction.atomic
def ticket_resolve_as_system(*, ticket: Ticket, solution: str, source: str) -> Ticket:
    """Resolve a ticket as the system (actor None) because `source` (a reference) was resolved: the
    tickets linked to a major incident are resolved with it. A new ticket is taken first and a waiting
    one resumed, each step recorded; the requester is told as for any resolution. Already resolved or
    closed tickets are left as they are."""
    ticket = _lock(ticket, None)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        return ticket
    if ticket.status == Status.NEW:
        source_status, target = _apply_transition(ticket, "take", None)
        fields = ["status"]
        if ticket.first_response_at is None:
            ticket.first_response_at = timezone.now()
            fields.append("first_response_at")
        _save(ticket, fields)
        _record_transition(ticket, actor=None, name="take", source=source_status, target=target,
                           data={"source": source})
    elif ticket.status == Status.WAITING:
        _resume(ticket, None)
    ticket.solution = solution.strip()
    source_status, target = _apply_transition(ticket, "resolve", None)
    ticket.resolved_at = timezone.now()
    _save(ticket, ["status", "solution", "resolved_at"])
    event = _record_transition(ticket, actor=None, name="resolve", source=source_status, target=target,
                               data={"solution": ticket.solution, "source": source})
    notify(event=event, recipients=[ticket.requester], template="ticket_resolved")
    return ticket


# --- Workspace: checklists, root cause, links, duplicates


@transaction.atomic
def ticket_check_item(*, ticket: Ticket, actor, code: str, done: bool,
                      expected_version: int | None = None) -> Ticket:
    """Tick or untick a deliverable of the template that only agents can know about."""
    from .checklists import MANUAL_CODES

    if not is_agent(actor):
        raise TransitionRefused(_("Only agents tick the checklists."), ticket=ticket)
    if code not in MANUAL_CODES:
        raise TransitionRefused(_("This item ticks itself; it cannot be changed by hand."), ticket=ticket)
    ticket = _lock(ticket, expected_version)
    if done:
        _item, created = ChecklistItem.objects.get_or_create(ticket=ticket, code=code,
                                                              defaults={"done_by": actor})
    else:
        created = bool(ChecklistItem.objects.filter(ticket=ticket, code=code).delete()[0])
    if created:
        _save(ticket, [])
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.CHECKLIST, actor=actor, public=False,
                                   data={"code": code, "done": done})
    return ticket


@transaction.atomic
def ticket_record_root_cause(*, ticket: Ticket, actor, root_cause: str,
                             expected_version: int | None = None) -> Ticket:
    """Record the root cause: the ticket leaves Diagnostic for Résolution."""
    if not is_agent(actor):
        raise TransitionRefused(_("Only agents record the root cause."), ticket=ticket)
    if not root_cause.strip():
        raise TransitionRefused(_("Describe the root cause."), ticket=ticket)
    ticket = _lock(ticket, expected_version)
    if ticket.status not in (Status.IN_PROGRESS, Status.WAITING):
        raise TransitionRefused(_("The root cause is recorded while the ticket is being worked on."), ticket=ticket)
    ticket.root_cause = root_cause.strip()
    _save(ticket, ["root_cause"])
    TicketEvent.objects.record(ticket=ticket, kind=EventKind.ROOT_CAUSE, actor=actor, public=False,
                               data={"root_cause": ticket.root_cause})
    return ticket


@transaction.atomic
def ticket_link(*, ticket: Ticket, actor, other: Ticket, kind: str) -> TicketLink:
    """Relate two tickets, or mark `ticket` as a duplicate of `other` and merge it there: its
    description and followups are copied onto `other` and it is closed."""
    if not is_agent(actor):
        raise TransitionRefused(_("Only agents link tickets."), ticket=ticket)
    if other.pk == ticket.pk:
        raise TransitionRefused(_("A ticket cannot be linked to itself."), ticket=ticket)
    if TicketLink.objects.filter(source__in=[ticket, other], target__in=[ticket, other]).exists():
        raise TransitionRefused(_("These tickets are already linked."), ticket=ticket)
    ticket = _lock(ticket, None)
    other = _lock(other, None)
    if kind == LinkKind.DUPLICATE_OF:
        if other.status == Status.CLOSED:
            raise TransitionRefused(_("A ticket cannot be merged into a closed ticket."), ticket=ticket)
        source, target = _apply_transition(ticket, "merge", actor)
        ticket.closed_at = timezone.now()
        _save(ticket, ["status", "closed_at"])
        _merge_into(duplicate=ticket, original=other, actor=actor)
        _record_transition(ticket, actor=actor, name="merge", source=source, target=target,
                           data={"into": other.reference})
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
    _save(original, [])


# --- Satisfaction


def survey_answer(*, survey: Survey, score: int, comment: str, actor=None) -> Survey:
    """Record the requester's answer, once: the conditional update refuses a second answer even
    when two submissions race. `actor` is None when answered through the signed email link."""
    if not 1 <= int(score) <= 5:
        raise TransitionRefused(_("Give a score from 1 to 5."), ticket=survey.ticket)
    with transaction.atomic():
        answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            score=score, comment=comment.strip(), answered_at=timezone.now()
        )
        if not answered:
            raise TransitionRefused(_("This survey has already been answered. Thank you!"), ticket=survey.ticket)
        survey.refresh_from_db()
        TicketEvent.objects.record(
            ticket=survey.ticket, kind=EventKind.SURVEY, actor=actor or survey.ticket.requester, public=False,
            data={"score": survey.score, "comment": survey.comment},
        )
    return survey


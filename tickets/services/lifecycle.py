"""Creation and the status lifecycle: take, wait, resume, resolve, reopen, close, the auto-close sweep,
and the system's resolution of the tickets linked to a major incident. Each status change goes through
_rows.transition, for one ticket or a batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_rows
from core.exceptions import ActionRefused

from .. import signals
from ..models import (
    Category,
    Channel,
    EventKind,
    Followup,
    Status,
    Survey,
    Ticket,
    TicketEvent,
    TicketSequence,
    can_take_over,
    priority_for,
)
from ..outbox import notify, notify_new_events
from ._rows import attach, lock, transition
from .routing import assign


def _next_number(year: int) -> int | None:
    """Take the year's next number (one UPDATE … RETURNING); None when the year has no row yet. The row
    stays locked until the caller's transaction ends: concurrent creators queue on it."""
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "tickets_ticketsequence" SET "last_number" = "last_number" + 1 WHERE "year" = %s '
                       'RETURNING "last_number"', [year])
        row = cursor.fetchone()
    return row[0] if row else None


def _first_of_year(year: int) -> bool:
    """Create the year's row at 1; False if a concurrent creator created it first (then take the next)."""
    try:
        with transaction.atomic():
            TicketSequence.objects.create(year=year, last_number=1)
    except IntegrityError:
        return False
    return True


def allocate_reference(*, year: int) -> str:
    """Next `YYYY-NNNNNN` for the year from the TicketSequence table, without duplicates under concurrent
    creation and without gaps: SQLite's way (one writer at a time there anyway); PostgreSQL takes its numbers
    from a sequence (new_reference).

    The conditional UPDATE takes the sequence row's lock until the caller's transaction ends, so concurrent
    creators queue on it. The row is created once per year, and a creator that loses that insert race
    retries the update.
    """
    for _attempt in range(3):
        number = _next_number(year)
        if number is not None:
            return f"{year}-{number:06d}"
        if _first_of_year(year):
            return f"{year}-{1:06d}"
    raise RuntimeError("Could not allocate a ticket reference.")  # pragma: no cover


def year_sequence(year: int) -> str:
    """The PostgreSQL sequence of the year's reference numbers (a name from an integer: safe to quote)."""
    return f"tickets_reference_{int(year)}"


def _create_year_sequence(year: int) -> None:
    """Create the year's sequence, continuing the year's TicketSequence counter (the numbers given before
    the sequences, or by SQLite's way on the same data): once a year. A concurrent creator's CREATE waits
    for the first one's COMMIT, then fails, and the sequence is there; if the first rolled back, it
    succeeds."""
    name = year_sequence(year)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'CREATE SEQUENCE "{name}" MINVALUE 1 MAXVALUE 999999')
            cursor.execute('SELECT setval(%s, "last_number") FROM "tickets_ticketsequence" '
                           'WHERE "year" = %s AND "last_number" > 0', [name, year])
    except (IntegrityError, ProgrammingError):
        pass  # a concurrent transaction created it and has committed


# The year's next number; no row while the sequence does not exist (nextval's name is cast at run time,
# for the rows the WHERE keeps: none then).
_NEXT_FROM_SEQUENCE = "SELECT nextval(%s::text::regclass) WHERE to_regclass(%s) IS NOT NULL"


def new_reference(*, year: int) -> str:
    """The reference of a ticket about to be created, `YYYY-NNNNNN`: its INSERT writes it.

    On PostgreSQL the number comes from the year's sequence (nextval: no row lock, nothing held to COMMIT),
    created by the year's first ticket; concurrent submissions do not wait for each other, and a creation
    that rolls back leaves its number unused (references are unique, not gapless). A counter row locked from
    its UPDATE to COMMIT was the ceiling of submissions per second: busy 0.8-0.9 of the time at ~110/s
    (bench/submit_concurrency.py). On SQLite (one writer at a time anyway) the TicketSequence row, gapless."""
    if connection.vendor != "postgresql":
        return allocate_reference(year=year)
    name = year_sequence(year)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_FROM_SEQUENCE, [name, name])
            row = cursor.fetchone()
        if row is not None:
            return f"{year}-{row[0]:06d}"
        _create_year_sequence(year)
    raise RuntimeError("Could not allocate a ticket reference.")  # pragma: no cover


def _insert(ticket: Ticket) -> None:
    """What `ticket.save(force_insert=True)` does (its signals, django-fsm's initial state), the INSERT
    written once per process (core.db.insert_rows) instead of compiled anew for each ticket."""
    using = connection.alias
    pre_save.send(sender=Ticket, instance=ticket, raw=False, using=using, update_fields=None)
    insert_rows([ticket])
    ticket._update_initial_state()  # as ConcurrentTransitionMixin.save: the status its next UPDATE expects
    post_save.send(sender=Ticket, instance=ticket, created=True, update_fields=None, raw=False, using=using)


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

    The reference is taken first (new_reference) and written by the ticket's INSERT: every receiver sees
    the final one. `ticket_referenced` is the creation's last step (a webhook's payload).

    `created_by` is the agent who records a phone or chat ticket for the requester (else the requester).
    """
    now = timezone.now()
    actor = created_by or requester
    profile = getattr(requester, "profile", None) if hasattr(requester, "profile") else None
    ticket = Ticket(
        reference=new_reference(year=timezone.localtime(now).year),
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
    lines = signals.returned(signals.ticket_creating.send(sender=Ticket, ticket=ticket), signals.HistoryLine)
    _insert(ticket)
    attach(ticket=ticket, files=attachments, uploaded_by=actor)
    # The history in one INSERT: "created", then the receivers' lines (the recurring flag, the VIP start level), by
    # the system.
    events = TicketEvent.objects.write([
        TicketEvent(ticket=ticket, kind=EventKind.CREATED, actor=actor if actor.pk else None, data={
            "channel": channel, "priority": ticket.priority, "parent": parent.reference if parent else None,
        }, created_at=now),
        *(TicketEvent(ticket=ticket, kind=line.kind, actor=None, is_public=line.public, data=line.data,
                      created_at=now)
          for line in lines),
    ])
    alerts = signals.returned(
        signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor, events=events), signals.Alert,
    )
    # The outbox in one INSERT: the acknowledgement of receipt and the receivers' alerts (N2's, of a recurring problem).
    notify_new_events([(events[0], [requester], "ticket_created"), *alerts])
    signals.ticket_referenced.send(sender=Ticket, ticket=ticket, actor=actor)
    return ticket


# --- Take


def _take(ticket: Ticket, actor, *, ticket_type: str | None = None, category: Category | None = None,
          data: dict | None = None) -> TicketEvent:
    """Qualify (type, category) and take the locked ticket; an agent taking it becomes its assignee."""
    fields, qualified = [], {}
    if ticket_type and ticket_type != ticket.ticket_type:
        qualified["type"] = ticket.ticket_type = ticket_type
        fields.append("ticket_type")
    if category is not None and category.pk != ticket.category_id:
        ticket.category = category
        qualified["category"] = category.full_name
        fields.append("category")
    if actor is not None and ticket.assignee_id is None:
        ticket.assignee = actor
        fields.append("assignee")
    if ticket.first_response_at is None:
        ticket.first_response_at = timezone.now()
        fields.append("first_response_at")
    if ticket.assignee_id is not None:
        qualified["assignee"] = ticket.assignee.get_username()
    return transition([ticket], "take", actor=actor, fields=fields, data={**qualified, **(data or {})})[0]


@transaction.atomic
def ticket_take(*, ticket: Ticket, actor, ticket_type: str | None = None, category: Category | None = None,
                expected_version: int | None = None) -> Ticket:
    """Qualify and take a new ticket: sets type and category if given, assigns it to `actor`
    (unless already assigned); counts as the first response."""
    ticket = lock(ticket, expected_version)
    event = _take(ticket, actor, ticket_type=ticket_type, category=category)
    notify(event=event, recipients=[ticket.requester], template="status_changed")
    return ticket


# --- Wait and resume


@transaction.atomic
def ticket_wait(*, ticket: Ticket, actor, message: str, expected_version: int | None = None) -> Ticket:
    """Put the ticket on hold with a public followup saying what is awaited; the clock pauses."""
    if not message.strip():
        raise ActionRefused(_("Say what you are waiting for: the requester will read it."), ticket=ticket)
    ticket = lock(ticket, expected_version)
    followup = Followup.objects.create(ticket=ticket, author=actor, body=message, is_public=True)
    TicketEvent.objects.record(ticket=ticket, kind=EventKind.FOLLOWUP, actor=actor, followup=followup)
    ticket.waiting_since = timezone.now()
    event = transition([ticket], "wait", actor=actor, fields=["waiting_since"])[0]
    notify(event=event, recipients=[ticket.requester], template="status_changed")
    return ticket


def resume(ticket: Ticket, actor) -> TicketEvent:
    """Take the locked waiting ticket back in hand (an agent, the requester's reply, the system)."""
    paused_since = ticket.waiting_since
    ticket.waiting_since = None
    paused = (timezone.now() - paused_since).total_seconds() if paused_since else 0
    return transition([ticket], "resume", actor=actor, fields=["waiting_since"],
                      data={"paused_seconds": round(paused),
                            "paused_since": paused_since.isoformat() if paused_since else None})[0]


@transaction.atomic
def ticket_resume(*, ticket: Ticket, actor, expected_version: int | None = None) -> Ticket:
    """Take a waiting ticket back in hand; the resolution clock resumes."""
    ticket = lock(ticket, expected_version)
    resume(ticket, actor)
    return ticket


# --- Resolve and reopen


def _resolve(ticket: Ticket, actor, solution: str, *, data: dict | None = None) -> TicketEvent:
    """Resolve the locked ticket with its solution; the requester is asked to confirm or reject it."""
    ticket.solution = solution.strip()
    ticket.resolved_at = timezone.now()
    event = transition([ticket], "resolve", actor=actor, fields=["solution", "resolved_at"],
                       data={"solution": ticket.solution, **(data or {})})[0]
    notify(event=event, recipients=[ticket.requester], template="ticket_resolved")
    return event


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor, solution: str, expected_version: int | None = None) -> Ticket:
    """Record the solution and resolve; the requester is told and asked to confirm or reject. An agent
    of the ticket's level who is not its assignee is assigned first (recorded apart), then resolves."""
    ticket = lock(ticket, expected_version)
    if ticket.status == Status.IN_PROGRESS and can_take_over(ticket, actor):
        assign(ticket, actor, actor)
    _resolve(ticket, actor, solution)
    return ticket


@transaction.atomic
def ticket_resolve_as_system(*, ticket: Ticket, solution: str, source: str) -> Ticket:
    """Resolve a ticket as the system (actor None) because `source` (a reference) was resolved: the
    tickets linked to a major incident are resolved with it. A new ticket is taken first and a waiting
    one resumed, each step recorded; the requester is told as for any resolution. Already resolved or
    closed tickets are left as they are."""
    ticket = lock(ticket, None)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        return ticket
    if ticket.status == Status.NEW:
        _take(ticket, None, data={"source": source})
    elif ticket.status == Status.WAITING:
        resume(ticket, None)
    _resolve(ticket, None, solution, data={"source": source})
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor, reason: str, expected_version: int | None = None) -> Ticket:
    """Reject the solution (requester) or reopen it (agent), with a reason; counts as a reopening."""
    if not reason.strip():
        raise ActionRefused(_("Give the reason for reopening the ticket."), ticket=ticket)
    ticket = lock(ticket, expected_version)
    ticket.resolved_at = None
    event = transition([ticket], "reopen", actor=actor, fields=["resolved_at"], increment=["reopen_count"],
                       data={"reason": reason.strip()})[0]
    recipients = [ticket.assignee] if actor.pk == ticket.requester_id else [ticket.requester]
    notify(event=event, recipients=recipients, template="status_changed")
    return ticket


# --- Close


def _close(tickets: Sequence[Ticket], *, actor, now, automatic: bool) -> list[TicketEvent]:
    """Close locked, resolved tickets: one UPDATE, one INSERT each of the events, the surveys (once
    per ticket: a ticket closed again after a reopening only hears of the status) and the emails."""
    for ticket in tickets:
        ticket.closed_at = now
    events = transition(tickets, "close", actor=actor, fields=["closed_at"], now=now,
                        data={"automatic": automatic})
    surveyed = set(Survey.objects.filter(ticket__in=tickets).values_list("ticket_id", flat=True))
    Survey.objects.bulk_create([Survey(ticket=ticket) for ticket in tickets if ticket.pk not in surveyed])
    notify_new_events(
        (event, [ticket.requester], "status_changed" if ticket.pk in surveyed else "survey")
        for ticket, event in zip(tickets, events, strict=True)
    )
    return events


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor, expected_version: int | None = None,
                 automatic: bool = False) -> Ticket:
    """Close a resolved ticket: the requester confirms, or the auto-close job (actor None) decides."""
    ticket = lock(ticket, expected_version)
    _close([ticket], actor=actor, now=timezone.now(), automatic=automatic)
    return ticket


def tickets_auto_close(*, now=None, limit: int = 1000, batch: int = 500) -> int:
    """Close resolved tickets left unanswered for HELPDESK_AUTO_CLOSE_DAYS; returns how many.

    Each batch is picked by the (status, resolved_at) index and locked with SKIP LOCKED (two runs at
    once share the work, and a ticket someone is acting on waits for the next run), then closed as
    ticket_close closes one.
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
            _close(tickets, actor=None, now=now, automatic=True)
        closed += len(tickets)
        if len(tickets) < size:
            break
    return closed

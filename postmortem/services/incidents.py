"""ALERTE → MOBILISATION → RÉSOLUTION: declaring, the war room, and following the main ticket."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.exceptions import ActionRefused
from tickets import services as ticket_services
from tickets.models import OPEN_STATUSES, Priority, Status, Ticket

from ..models import (
    POSTMORTEM_DELAY,
    IncidentEntry,
    IncidentFollower,
    IncidentState,
    IncidentStatusUpdate,
    LinkedTicket,
    MajorIncident,
    Postmortem,
    PostmortemEvent,
    Trigger,
)
from ..selectors import timeline_as_text, war_room_timeline
from .common import (
    ENTRY_CLOCK_TOLERANCE,
    ENTRY_START_REACH,
    INCIDENT_TRANSITION_LABELS,
    _apply,
    _incident_event,
    _lock_incident,
    _require_agent,
    _without,
    stakeholders,
)

logger = logging.getLogger(__name__)


def incident_declare(*, ticket: Ticket, actor=None, trigger: str = Trigger.MANUAL,
                     reason: str = "") -> MajorIncident | None:
    """Open the major incident of a ticket, once: automatically for a P1/P2 (actor None) or by an
    agent. Records it in the ticket's timeline and alerts the stakeholders (managers, N4, the
    configured list) after commit. Returns None when the ticket already is a major incident."""
    if actor is not None:
        _require_agent(actor)
        if ticket.status not in OPEN_STATUSES:
            raise ActionRefused(_("Only an open ticket can be declared a major incident."), ticket=ticket)
    if LinkedTicket.objects.filter(ticket=ticket).exists():
        if actor is None:
            return None  # Already handled as part of another incident.
        raise ActionRefused(_("This ticket is linked to another major incident."), ticket=ticket)
    dismissed = MajorIncident.objects.filter(ticket=ticket, state=IncidentState.DISMISSED).first()
    if dismissed is not None:
        if actor is not None or _alerts_again(dismissed, ticket, trigger):
            return _incident_redeclare(dismissed, ticket=ticket, actor=actor, trigger=trigger, reason=reason)
        return None  # Raised again, but not to P1 from a dismissed P2: it stays dismissed.
    with transaction.atomic():
        try:
            # The one-to-one is the "once per ticket" guarantee, even for two declarations at once.
            with transaction.atomic():
                incident = MajorIncident.objects.create(
                    ticket=ticket, declared_by=actor, trigger=trigger, reason=reason.strip()
                )
        except IntegrityError:
            return None
        detail = reason.strip() or str(Trigger(trigger).label)
        event = _incident_event(incident, "declared", actor=actor, trigger=trigger, priority=ticket.priority,
                                reason=detail)
        ticket_services.notify(event=event, recipients=_without(stakeholders(), actor), template="incident_alert")
    return incident


def _alerts_again(incident: MajorIncident, ticket: Ticket, trigger: str) -> bool:
    """A dismissed alert comes back by itself only when its ticket, dismissed at P2, is raised to P1:
    someone judged the P2 not major, and P1 is new information. Lowering then raising again to the
    priority it was dismissed at, or raising a dismissed P1, changes nothing."""
    return (trigger == Trigger.RAISED and ticket.priority == Priority.P1
            and incident.dismissed_priority == Priority.P2)


@transaction.atomic
def _incident_redeclare(incident: MajorIncident, *, ticket: Ticket, actor, trigger: str,
                        reason: str) -> MajorIncident:
    """ÉCARTÉ → ALERTE: declared again (recorded in the ticket's history), stakeholders alerted again."""
    incident = _lock_incident(incident)
    incident.ticket = ticket
    _apply(incident, "redeclare", None, INCIDENT_TRANSITION_LABELS, incident.get_state_display())
    incident.declared_at, incident.declared_by, incident.trigger = timezone.now(), actor, trigger
    incident.reason = reason.strip()
    incident.dismissed_at, incident.dismissed_by, incident.dismiss_reason, incident.dismissed_priority = (
        None, None, "", "")
    incident.save(update_fields=["state", "declared_at", "declared_by", "trigger", "reason", "dismissed_at",
                                 "dismissed_by", "dismiss_reason", "dismissed_priority"])
    detail = reason.strip() or _("Raised to P1 after the P2 alert was dismissed.")
    event = _incident_event(incident, "redeclared", actor=actor, trigger=trigger, priority=ticket.priority,
                            reason=detail)
    ticket_services.notify(event=event, recipients=_without(stakeholders(), actor), template="incident_alert")
    return incident


@transaction.atomic
def incident_dismiss(*, incident: MajorIncident, actor, reason: str) -> MajorIncident:
    """ALERTE → PAS UN INCIDENT MAJEUR: an agent says an automatic P1/P2 alert is not a major incident,
    with a reason recorded in the ticket's history. The war room can no longer open, no postmortem will
    be due; the ticket keeps its priority. Raising it later alerts again only from P2 to P1."""
    _require_agent(actor, incident)
    incident = _lock_incident(incident)
    ticket = incident.ticket
    if not reason.strip():
        raise ActionRefused(_("Say why it is not a major incident."), ticket=ticket)
    if incident.state == IncidentState.ALERT and incident.trigger == Trigger.MANUAL:
        raise ActionRefused(_("This major incident was declared by an agent, not by the priority: it "
                                  "cannot be dismissed."), ticket=ticket)
    if incident.links.exists():
        raise ActionRefused(_("Other tickets are linked to this incident: it is handled as a major "
                                  "incident."), ticket=ticket)
    _apply(incident, "dismiss", actor, INCIDENT_TRANSITION_LABELS, incident.get_state_display())
    incident.dismissed_at, incident.dismissed_by = timezone.now(), actor
    incident.dismiss_reason, incident.dismissed_priority = reason.strip(), ticket.priority
    incident.save(update_fields=["state", "dismissed_at", "dismissed_by", "dismiss_reason", "dismissed_priority"])
    _incident_event(incident, "dismissed", actor=actor, priority=ticket.priority, reason=incident.dismiss_reason)
    return incident


@transaction.atomic
def incident_mobilise(*, incident: MajorIncident, actor) -> MajorIncident:
    """ALERTE → MOBILISATION: the war room opens (by hand, or when its first participant joins)."""
    _require_agent(actor, incident)
    incident = _lock_incident(incident)
    _apply(incident, "mobilise", actor, INCIDENT_TRANSITION_LABELS, incident.get_state_display())
    incident.mobilised_at = timezone.now()
    incident.save(update_fields=["state", "mobilised_at"])
    _incident_event(incident, "mobilised", actor=actor)
    return incident


@transaction.atomic
def incident_join(*, incident: MajorIncident, user) -> MajorIncident:
    """Add an agent to the war room (and to the ticket's followers); the first one mobilises."""
    _require_agent(user, incident)
    incident = _lock_incident(incident)
    if incident.state == IncidentState.POSTMORTEM:
        raise ActionRefused(_("This major incident is over."), ticket=incident.ticket)
    if incident.state == IncidentState.DISMISSED:
        raise ActionRefused(_("This alert was dismissed: it is not a major incident, so its war room "
                                  "does not open."), ticket=incident.ticket)
    if not incident.participants.filter(pk=user.pk).exists():
        incident.participants.add(user)
        ticket_services.ticket_add_participants(ticket=incident.ticket, users=[user], actor=user,
                                                reason=_("Joined the war room"))
    if incident.state == IncidentState.ALERT:
        incident = incident_mobilise(incident=incident, actor=user)
    return incident


@transaction.atomic
def incident_add_entry(*, incident: MajorIncident, author, at: datetime, text: str,
                       date_explicit: bool = False) -> IncidentEntry:
    """Add a human "HH:MM – what happened" line to the war-room timeline; the author joins.
    `date_explicit` says the author gave or confirmed the day; without it the entry cannot move the
    outage's start by more than ENTRY_START_REACH (see _outage_start)."""
    _require_agent(author, incident)
    if not text.strip():
        raise ActionRefused(_("Say what happened."), ticket=incident.ticket)
    if at > timezone.now() + ENTRY_CLOCK_TOLERANCE:
        raise ActionRefused(
            _("%(when)s is in the future: a timeline entry records what has already happened.")
            % {"when": date_format(timezone.localtime(at), "d/m H:i")},
            ticket=incident.ticket,
        )
    incident = incident_join(incident=incident, user=author)
    return IncidentEntry.objects.create(incident=incident, at=at, text=text.strip(), author=author,
                                        date_explicit=date_explicit)


@transaction.atomic
def incident_post_update(*, incident: MajorIncident, author, body: str) -> IncidentStatusUpdate:
    """Send a status update to the stakeholders and the war room, and to the requesters of the
    incident's ticket and of its linked tickets (emails after commit). Each requester is told once,
    about their own ticket: the update is recorded in that ticket's history (internal), and its page
    shows the latest update while the incident is under way."""
    _require_agent(author, incident)
    if not body.strip():
        raise ActionRefused(_("The update is empty."), ticket=incident.ticket)
    incident = incident_join(incident=incident, user=author)
    update = IncidentStatusUpdate.objects.create(incident=incident, body=body.strip(), author=author)
    event = _incident_event(incident, "update", actor=author, update_id=update.pk, reason=update.body,
                            follow_path=reverse("postmortem:status", args=[incident.pk]))
    staff = _without(stakeholders() + list(incident.participants.all()), author)
    ticket_services.notify(event=event, recipients=staff, template="incident_update")
    told = {user.pk for user in staff} | {author.pk}
    _tell_requesters(incident, update, event, told=told)
    followers = [follower.user for follower in incident.followers.select_related("user")
                 if follower.user_id not in told and follower.user.is_active]
    ticket_services.notify(event=event, recipients=followers, template="incident_update_follower")
    return update


@transaction.atomic
def incident_follow(*, incident: MajorIncident, user, query: str = "") -> IncidentFollower:
    """"Me too": a requester follows an incident under way instead of filing a ticket; they receive its
    status updates (incident_post_update) and see them on its status page. Following twice is one follow."""
    incident = _lock_incident(incident)
    if not incident.is_active:
        raise ActionRefused(_("This incident is over: file a ticket if the problem is still there."))
    follower, _created = IncidentFollower.objects.get_or_create(
        incident=incident, user=user, defaults={"query": query.strip()[:200]})
    return follower


def _tell_requesters(incident: MajorIncident, update: IncidentStatusUpdate, event, *, told: set[int]) -> None:
    """One email per requester of the affected tickets (the main one first), attached to an event of
    their own ticket, so that the email's link opens a page they may see."""
    linked = [link.ticket for link in incident.links.select_related("ticket__requester").order_by("id")]
    for ticket in [incident.ticket, *linked]:
        requester = ticket.requester
        if requester is None or requester.pk in told:
            continue
        told.add(requester.pk)
        if ticket.pk != incident.ticket_id:
            event = _incident_event(incident, "update", actor=update.author, ticket=ticket, update_id=update.pk,
                                    reason=update.body)
        ticket_services.notify(event=event, recipients=[requester], template="incident_update_requester")


@transaction.atomic
def incident_link_ticket(*, incident: MajorIncident, actor, ticket: Ticket) -> LinkedTicket:
    """Link another ticket reporting the same outage; it is resolved with the incident. A new ticket
    is taken by the agent who links it (qualified with the incident's category if it has none)."""
    _require_agent(actor, incident)
    incident = _lock_incident(incident)
    main = incident.ticket
    if not incident.is_active:
        raise ActionRefused(_("Tickets can only be linked while the incident is under way."), ticket=main)
    if ticket.pk == main.pk:
        raise ActionRefused(_("A ticket cannot be linked to its own incident."), ticket=main)
    if ticket.status not in OPEN_STATUSES:
        raise ActionRefused(_("Ticket %(reference)s is not open.") % {"reference": ticket.reference},
                                ticket=main)
    if MajorIncident.objects.filter(ticket=ticket).exists():
        raise ActionRefused(
            _("Ticket %(reference)s is itself a major incident.") % {"reference": ticket.reference}, ticket=main
        )
    try:
        with transaction.atomic():
            link = LinkedTicket.objects.create(incident=incident, ticket=ticket, linked_by=actor)
    except IntegrityError:
        raise ActionRefused(
            _("Ticket %(reference)s is already linked to a major incident.") % {"reference": ticket.reference},
            ticket=main,
        ) from None
    if ticket.status == Status.NEW:
        ticket = ticket_services.ticket_take(
            ticket=ticket, actor=actor, category=None if ticket.category_id else main.category
        )
    _incident_event(incident, "linked", actor=actor, reference=ticket.reference,
                    reason=f"{ticket.reference} – {ticket.title}")
    _incident_event(incident, "linked_to", actor=actor, ticket=ticket, reference=main.reference,
                    reason=f"{main.reference} – {main.title}")
    return link


# --- Resolution, following the ticket


def incident_on_ticket_resolved(*, ticket: Ticket, actor) -> Postmortem | None:
    """The main ticket was resolved (inside its transaction): the incident moves to RÉSOLUTION, the
    linked tickets are resolved by the system, and the postmortem is opened, due in 48 h."""
    incident = MajorIncident.objects.select_for_update(of=("self",)).select_related("ticket").filter(
        ticket=ticket
    ).first()
    if incident is None or incident.state == IncidentState.DISMISSED:
        return None
    incident.ticket = ticket
    if incident.state in (IncidentState.ALERT, IncidentState.MOBILISATION):
        _apply(incident, "resolve", None, INCIDENT_TRANSITION_LABELS, incident.get_state_display())
        incident.resolved_at = ticket.resolved_at or timezone.now()
        incident.save(update_fields=["state", "resolved_at"])
        _incident_event(incident, "resolved", actor=actor)
    solution = _("Resolved with the major incident %(reference)s: %(solution)s") % {
        "reference": ticket.reference, "solution": ticket.solution,
    }
    for link in incident.links.select_related("ticket").order_by("id"):
        if link.ticket.status not in OPEN_STATUSES:
            continue
        try:
            ticket_services.ticket_resolve_as_system(ticket=link.ticket, solution=solution,
                                                     source=ticket.reference)
        except ActionRefused as refused:
            # One linked ticket that cannot be resolved (e.g. never qualified) must not block the rest.
            logger.warning("Linked ticket %s not resolved with %s: %s", link.ticket.reference,
                           ticket.reference, refused.message)
    return _postmortem_open(incident=incident, actor=actor)


def _postmortem_open(*, incident: MajorIncident, actor) -> Postmortem:
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing  # Reopened then resolved again: the postmortem already exists.
    ticket = incident.ticket
    ended_at = incident.resolved_at or timezone.now()
    items = war_room_timeline(incident=incident)
    started_at = _outage_start(incident, [item.entry for item in items if item.entry is not None])
    try:
        with transaction.atomic():
            postmortem = Postmortem.objects.create(
                incident=incident, title=ticket.title, started_at=started_at, ended_at=ended_at,
                timeline=timeline_as_text(items), owner=ticket.assignee or actor,
                due_at=ended_at + POSTMORTEM_DELAY,
            )
    except IntegrityError:
        return Postmortem.objects.get(incident=incident)
    PostmortemEvent.objects.create(postmortem=postmortem, action=PostmortemEvent.Action.CREATED,
                                   to_state=postmortem.state, actor=None)
    _incident_event(incident, "postmortem_created", actor=None, postmortem_id=postmortem.pk,
                    due_at=postmortem.due_at.isoformat())
    return postmortem


def _outage_start(incident: MajorIncident, entries: list[IncidentEntry]) -> datetime:
    """The earliest of the ticket's creation, the declaration and the war room's entries. An entry
    whose day was only inferred (no date given nor confirmed) counts only within ENTRY_START_REACH
    before the system's start: a mistyped day must not turn a two-hour outage into a day-long one."""
    system_start = min(incident.ticket.created_at, incident.declared_at)
    reach = system_start - ENTRY_START_REACH
    return min([system_start, *(entry.at for entry in entries if entry.date_explicit or entry.at >= reach)])


def incident_on_ticket_reopened(*, ticket: Ticket, actor) -> None:
    """The main ticket was reopened: back to the war room (the postmortem, if any, stays)."""
    incident = MajorIncident.objects.select_for_update(of=("self",)).filter(ticket=ticket).first()
    if incident is None or incident.state != IncidentState.RESOLUTION:
        return
    incident.ticket = ticket
    _apply(incident, "reopen", None, INCIDENT_TRANSITION_LABELS, incident.get_state_display())
    incident.resolved_at = None
    incident.save(update_fields=["state", "resolved_at"])
    _incident_event(incident, "reopened", actor=actor)

"""What agents do with a suggested storm: declare it a major incident (through postmortem.services,
the one path of incidents) or dismiss it with a reason; and the suggestion's email."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_agent
from core.exceptions import ActionRefused
from postmortem import services as incident_services
from postmortem.models import LinkedTicket, MajorIncident
from tickets import services as ticket_services
from tickets.models import OPEN_STATUSES, Ticket

from ..models import Storm, StormState
from ..selectors import storm_summary

logger = logging.getLogger(__name__)

# The tickets an email lists (the page lists them all).
EMAIL_TICKETS = 20


def _require_agent(actor) -> None:
    if actor is None or not is_agent(actor):
        raise ActionRefused(_("Only agents handle ticket storms."))


def _lock(storm: Storm) -> Storm:
    return Storm.objects.select_for_update().get(pk=storm.pk)


def notify_suggested(*, storm: Storm) -> None:
    """One email per suggestion to the managers, N4 and the stakeholders, through the outbox: attached
    to an event of the storm's latest ticket (its history says the ticket is part of a storm)."""
    tickets = list(Ticket.objects.filter(storm_link__storm=storm).order_by("-created_at", "-id")
                   .values_list("reference", "title")[:EMAIL_TICKETS])
    if not tickets:
        return
    latest = Ticket.objects.get(reference=tickets[0][0])
    event = ticket_services.ticket_record_incident_event(
        ticket=latest, action="storm_suggested", actor=None,
        data={"storm_id": storm.pk, "path": storm.get_absolute_url(), "summary": storm_summary(storm),
              "tickets": [[reference, title] for reference, title in reversed(tickets)],
              "count": storm.ticket_count},
    )
    ticket_services.notify(event=event, recipients=incident_services.stakeholders(), template="storm_suggested")


def link_to_incident(*, storm: Storm, ticket_id: int) -> int:
    """A ticket joined a storm declared a major incident: link it to the incident, as its declarer
    would. 1 when linked; 0 when the incident is over or the ticket cannot be linked (logged)."""
    incident = MajorIncident.objects.filter(pk=storm.incident_id).select_related("ticket").first()
    actor = storm.declared_by
    if incident is None or not incident.is_active or actor is None or not is_agent(actor):
        return 0
    ticket = Ticket.objects.get(pk=ticket_id)
    try:
        incident_services.incident_link_ticket(incident=incident, actor=actor, ticket=ticket)
    except ActionRefused as refused:
        logger.info("Storm %s: ticket %s not linked: %s", storm.pk, ticket.reference, refused.message)
        return 0
    return 1


@transaction.atomic
def storm_declare(*, storm: Storm, actor, update: str) -> MajorIncident:
    """Declare the storm a major incident in one move: its first open ticket (or one already a major
    incident) becomes the incident, the others are linked to it as children (resolved with it), the
    declarer joins the war room (it opens), and `update` is sent as the first status update (the
    requesters of every linked ticket are told). Later tickets of the storm are linked as they come."""
    _require_agent(actor)
    storm = _lock(storm)
    if storm.state == StormState.DECLARED:
        raise ActionRefused(_("This storm is already declared a major incident."))
    if not update.strip():
        raise ActionRefused(_("Write the first status update the requesters will receive."))
    tickets = list(Ticket.objects.filter(storm_link__storm=storm, status__in=OPEN_STATUSES)
                   .select_related("category", "requester").order_by("created_at", "id"))
    if not tickets:
        raise ActionRefused(_("No ticket of this storm is still open."))
    ids = [ticket.pk for ticket in tickets]
    existing = (MajorIncident.objects.filter(ticket_id__in=ids).exclude(state="dismissed")
                .select_related("ticket").order_by("declared_at").first())
    linked = set(LinkedTicket.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    reason = _("Ticket storm: %(summary)s") % {"summary": storm_summary(storm)}
    if existing is not None and existing.is_active:
        incident = existing
    else:
        main = next((ticket for ticket in tickets if ticket.pk not in linked), None)
        if main is None:
            raise ActionRefused(_("Every open ticket of this storm is already linked to a major incident."))
        incident = incident_services.incident_declare(ticket=main, actor=actor, reason=reason)
        if incident is None:
            incident = MajorIncident.objects.select_related("ticket").get(ticket=main)
    majors = set(MajorIncident.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    for ticket in tickets:
        if ticket.pk == incident.ticket_id or ticket.pk in linked or ticket.pk in majors:
            continue
        incident_services.incident_link_ticket(incident=incident, actor=actor, ticket=ticket)
    incident = incident_services.incident_join(incident=incident, user=actor)
    incident_services.incident_post_update(incident=incident, author=actor, body=update)
    storm.state, storm.incident, storm.declared_at, storm.declared_by = (
        StormState.DECLARED, incident, timezone.now(), actor)
    storm.save(update_fields=["state", "incident", "declared_at", "declared_by"])
    return incident


@transaction.atomic
def storm_dismiss(*, storm: Storm, actor, reason: str) -> Storm:
    """Not a major incident: the suggestion goes away, with the reason. The storm stays open and keeps
    gathering its tickets; it is suggested again only once it has grown (detection.regrowth_threshold)."""
    _require_agent(actor)
    storm = _lock(storm)
    if not reason.strip():
        raise ActionRefused(_("Say why this storm is not a major incident."))
    if storm.state != StormState.SUGGESTED:
        raise ActionRefused(_("Only a suggested storm can be dismissed."))
    storm.state, storm.dismissed_at, storm.dismissed_by = StormState.DISMISSED, timezone.now(), actor
    storm.dismiss_reason, storm.dismissed_count = reason.strip(), storm.ticket_count
    storm.save(update_fields=["state", "dismissed_at", "dismissed_by", "dismiss_reason", "dismissed_count"])
    return storm

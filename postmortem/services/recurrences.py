"""Postmortems that stick: the recurrence checks of corrective actions, verified by beat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import MANAGER_GROUP
from accounts.selectors import active_members
from tickets import services as ticket_services

from ..models import CorrectiveAction, IncidentState, MajorIncident, PostmortemEvent, Recurrence
from .common import _incident_event


@dataclass
class RecurrenceResult:
    recurred: int = 0
    held: int = 0


def _matches(action: CorrectiveAction, incident: MajorIncident) -> bool:
    ticket = incident.ticket
    if incident.pk == action.postmortem.incident_id:
        return False
    if action.recurrence_category_id and action.recurrence_category_id not in (ticket.category_id,
                                                                              getattr(ticket.category, "parent_id",
                                                                                      None)):
        return False
    if action.recurrence_organisation_id and action.recurrence_organisation_id != ticket.organisation_id:
        return False
    return incident.declared_at > action.done_at and incident.declared_at <= action.done_at + timedelta(
        days=action.recurrence_days)


def recurrences_check(*, now=None, limit: int = 500) -> RecurrenceResult:
    """For each done corrective action whose recurrence check is running: a major incident (not dismissed)
    declared in its category (subcategories too) and/or organisation since it was done, within its
    window, is a recurrence — the action is reopened, the new incident is linked to the old postmortem
    (`Recurrence`, and a line in both histories), and its owner and the managers are told. A window
    that passed with none: the action held. Reads the running checks and the incidents declared since
    the oldest of them (two queries), then claims each action by a conditional update."""
    now = now or timezone.now()
    result = RecurrenceResult()
    watching = list(CorrectiveAction.objects.filter(done=True, recurrence_days__isnull=False,
                                                     recurrence_held_at__isnull=True, done_at__isnull=False)
                    .select_related("postmortem__incident__ticket", "owner").order_by("done_at")[:limit])
    if not watching:
        return result
    incidents = list(
        MajorIncident.objects.filter(declared_at__gt=min(action.done_at for action in watching),
                                     declared_at__lte=now)
        .exclude(state=IncidentState.DISMISSED)
        .select_related("ticket__category").order_by("declared_at", "id")
    )
    for action in watching:
        found = next((incident for incident in incidents if _matches(action, incident)), None)
        if found is not None:
            result.recurred += _record(action, found, now)
        elif now >= action.done_at + timedelta(days=action.recurrence_days):
            result.held += CorrectiveAction.objects.filter(pk=action.pk, done=True, done_at=action.done_at,
                                                           recurrence_held_at__isnull=True).update(
                recurrence_held_at=now)
    return result


@transaction.atomic
def _record(action: CorrectiveAction, incident: MajorIncident, now) -> int:
    claimed = CorrectiveAction.objects.filter(pk=action.pk, done=True, done_at=action.done_at).filter(
        Q(recurrence_held_at__isnull=True)).update(done=False, done_at=None, done_by=None,
                                                    overdue_flagged_at=None)
    if not claimed:
        return 0
    try:
        with transaction.atomic():
            Recurrence.objects.create(postmortem=action.postmortem, action=action, incident=incident, found_at=now)
    except IntegrityError:
        pass
    CorrectiveAction.objects.filter(pk=action.pk).update(recurrence_count=action.recurrence_count + 1)
    postmortem = action.postmortem
    PostmortemEvent.objects.create(postmortem=postmortem, action=PostmortemEvent.Action.RECURRENCE, actor=None,
                                   data={"action_id": action.pk, "incident_id": incident.pk,
                                         "reference": incident.ticket.reference})
    data = {"postmortem_id": postmortem.pk, "postmortem_path": postmortem.get_absolute_url(),
            "title": postmortem.title, "action": action.description, "reason": action.description,
            "reference": postmortem.incident.ticket.reference}
    event = _incident_event(incident, "recurrence", actor=None, **data)
    _incident_event(postmortem.incident, "recurred", actor=None, **{**data, "reference": incident.ticket.reference})
    recipients = {user.pk: user for user in [action.owner, *active_members(MANAGER_GROUP)] if user is not None}
    ticket_services.notify(event=event, recipients=list(recipients.values()), template="action_recurrence")
    return 1

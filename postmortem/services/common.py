"""What the postmortem services share: who is alerted, row locks, FSM moves with clear refusals, and
the one way to write an incident step into the ticket's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils.translation import gettext as _

from accounts.roles import MANAGER_GROUP, Level, is_agent
from accounts.selectors import active_members
from core.exceptions import ActionRefused
from core.fsm import apply_transition
from tickets import services as ticket_services
from tickets.models import Priority, Ticket, TicketEvent

from ..models import MajorIncident, Postmortem, Stakeholder

MAJOR_PRIORITIES = (Priority.P1, Priority.P2)
# A timeline entry may be written a little ahead of the server clock, not more.
ENTRY_CLOCK_TOLERANCE = timedelta(minutes=2)
# How far before the ticket's creation a war-room entry with an inferred day may move the outage's start.
ENTRY_START_REACH = timedelta(hours=12)

INCIDENT_TRANSITION_LABELS = {
    "mobilise": lambda: _("mobilise"),
    "resolve": lambda: _("resolve"),
    "reopen": lambda: _("reopen"),
    "close": lambda: _("close"),
    "dismiss": lambda: _("dismiss the alert"),
    "redeclare": lambda: _("declare it again"),
}
POSTMORTEM_TRANSITION_LABELS = {
    "submit": lambda: _("submit for review"),
    "publish": lambda: _("publish"),
    "back_to_draft": lambda: _("send back to draft"),
}


# --- Who is told


def stakeholders() -> list:
    """Everyone alerted of a major incident: managers, the N4 group and the configured list."""
    people = {user.pk: user for user in list(active_members(MANAGER_GROUP, Level.N4))}
    for stakeholder in Stakeholder.objects.filter(is_active=True, user__is_active=True).select_related("user"):
        people.setdefault(stakeholder.user_id, stakeholder.user)
    return list(people.values())


def _without(users: Iterable, excluded) -> list:
    return [user for user in users if user is not None and user.pk != getattr(excluded, "pk", None)]


# --- Internals


def _require_agent(actor, incident: MajorIncident | None = None) -> None:
    if actor is None or not is_agent(actor):
        raise ActionRefused(_("Only agents take part in major incidents."),
                                ticket=incident.ticket if incident else None)


def _lock_incident(incident: MajorIncident) -> MajorIncident:
    return MajorIncident.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=incident.pk)


def _lock_postmortem(postmortem: Postmortem) -> Postmortem:
    return (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident__ticket", "owner")
        .get(pk=postmortem.pk)
    )


def _apply(instance, name: str, actor, labels: dict, state_label: str) -> tuple[str, str]:
    """Run the FSM transition `name` as `actor` (None: the system); refuse with a clear message."""
    label = labels[name]()
    return apply_transition(
        instance, name, actor=actor, label=label,
        refused_for=instance.ticket if isinstance(instance, MajorIncident) else instance.incident.ticket,
        not_from=lambda: _("You cannot %(action)s: the state is “%(state)s”.")
        % {"action": label, "state": state_label},
        guard=lambda: _("Write the root cause and the lessons learned first."),
    )


def _incident_event(incident: MajorIncident, step: str, *, actor=None, ticket: Ticket | None = None,
                    **data) -> TicketEvent:
    return ticket_services.ticket_record_incident_event(
        ticket=ticket or incident.ticket, action=step, actor=actor,
        data={"incident_id": incident.pk, "path": incident.get_absolute_url(), **data},
    )

"""The codes a ticket carries (status, type, channel, priority…) and the ITIL priority matrix."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("Nouveau")
    IN_PROGRESS = "in_progress", _("En cours")
    WAITING = "waiting", _("En attente")
    RESOLVED = "resolved", _("Résolu")
    CLOSED = "closed", _("Clos")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
# What a requester still follows: open, or resolved and waiting for their confirmation (the default tab
# of /tickets/, tickets.portal).
ACTIVE_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)


class Phase(models.TextChoices):
    RECEPTION = "reception", _("Réception")
    DIAGNOSTIC = "diagnostic", _("Diagnostic")
    RESOLUTION = "resolution", _("Résolution")
    CLOSURE = "closure", _("Clôture")


class TicketType(models.TextChoices):
    SUPPORT_REQUEST = "support_request", _("Support request")
    INCIDENT = "incident", _("Incident")
    INFORMATION_REQUEST = "information_request", _("Information request")
    BUG_REPORT = "bug_report", _("Bug report")
    COMPLAINT = "complaint", _("Complaint")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")


class Scale(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 – Critique")
    P2 = "P2", _("P2 – Majeur")
    P3 = "P3", _("P3 – Modéré")
    P4 = "P4", _("P4 – Mineur")


# The ITIL matrix of the specification: PRIORITY_MATRIX[impact][urgency].
PRIORITY_MATRIX = {
    Scale.HIGH: {Scale.HIGH: Priority.P1, Scale.MEDIUM: Priority.P2, Scale.LOW: Priority.P3},
    Scale.MEDIUM: {Scale.HIGH: Priority.P2, Scale.MEDIUM: Priority.P3, Scale.LOW: Priority.P4},
    Scale.LOW: {Scale.HIGH: Priority.P3, Scale.MEDIUM: Priority.P4, Scale.LOW: Priority.P4},
}


def priority_for(*, urgency: str, impact: str) -> str:
    return PRIORITY_MATRIX[Scale(impact)][Scale(urgency)].value


class SlaState(models.TextChoices):
    """The worst SLA stage recorded while the ticket ran, kept on the ticket for the queue filter."""

    ON_TIME = "on_time", _("On time")
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Breached")


class LinkKind(models.TextChoices):
    RELATES = "relates", _("related to")
    DUPLICATE_OF = "duplicate_of", _("duplicate of")


class InboundStatus(models.TextChoices):
    CREATED = "created", _("Ticket created")
    FOLLOWUP = "followup", _("Added to a ticket")
    UNMATCHED = "unmatched", _("To review")
    HANDLED = "handled", _("Handled by an agent")


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket created")
    TRANSITION = "transition", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    LEVEL_CHANGED = "level_changed", _("Level changed")
    FOLLOWUP = "followup", _("Reply")
    NOTE = "note", _("Private note")
    SOLUTION = "solution", _("Solution")
    SLA = "sla", _("SLA")
    ESCALATION = "escalation", _("Escalation")
    SURVEY = "survey", _("Satisfaction survey")
    LINKED = "linked", _("Linked ticket")
    PARTICIPANTS = "participants", _("Participants")
    CHECKLIST = "checklist", _("Checklist")
    ROOT_CAUSE = "root_cause", _("Root cause")
    FLAGGED = "flagged", _("Flagged")
    NOTIFICATION = "notification", _("Notification sent")
    INCIDENT = "incident", _("Major incident")

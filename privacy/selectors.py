"""Reads of the privacy app: everything one person's export holds (docs/gdpr.md, "data.json").

Only the person's own data: their profile, the tickets they requested with what they were shown (public
replies, public history, their survey), what they wrote or uploaded elsewhere, their knowledge-base votes
and deflections, their API tokens' names and dates, the incidents they follow ("me too"), the history lines they caused. Nobody else's name,
address or private note: the other people on a ticket appear as "support" or "system".
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from api.models import ApiToken
from audit.models import Action, AuditEntry
from kb.models import ArticleVote, Deflection
from postmortem.models import IncidentFollower
from tickets.models import Attachment, Followup, Survey, Ticket, TicketEvent

SCHEMA = "helpdesk-personal-data/1"
# History data kept in the export: state codes and the survey score, never a person or a free text of others.
EVENT_KEYS = ("transition", "from", "to", "score", "sla")


def _at(value) -> str | None:
    return value.isoformat() if value else None


def _who(author_id: int | None, user) -> str:
    if author_id is None:
        return "system"
    return "you" if author_id == user.pk else "support"


def attachment_member(attachment: Attachment) -> str:
    """The attachment's path inside the ZIP."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.original_name)[-100:]
    return f"files/{attachment.pk}-{safe}"


def export_attachments(user) -> list[Attachment]:
    """The files the person uploaded (and only those)."""
    return list(Attachment.objects.filter(uploaded_by=user).select_related("ticket").order_by("pk"))


def _attachment(attachment: Attachment) -> dict:
    return {"id": attachment.pk, "ticket": attachment.ticket.reference, "name": attachment.original_name,
            "content_type": attachment.content_type, "size": attachment.size,
            "uploaded_at": _at(attachment.created_at), "file": attachment_member(attachment)}


def personal_data(user) -> dict:
    """The content of data.json for `user` (schema in docs/gdpr.md)."""
    user = get_user_model().objects.select_related("profile__organisation").get(pk=user.pk)
    profile = getattr(user, "profile", None)
    tickets = list(Ticket.objects.filter(requester=user).select_related("category").order_by("created_at", "pk"))
    ids = [ticket.pk for ticket in tickets]
    public_followups: dict[int, list[dict]] = {}
    for followup in Followup.objects.filter(ticket_id__in=ids, is_public=True).order_by("created_at", "pk"):
        public_followups.setdefault(followup.ticket_id, []).append(
            {"by": _who(followup.author_id, user), "body": followup.body, "at": _at(followup.created_at)})
    public_events: dict[int, list[dict]] = {}
    for event in TicketEvent.objects.filter(ticket_id__in=ids, is_public=True).order_by("created_at", "pk"):
        data = {key: event.data[key] for key in EVENT_KEYS if key in (event.data or {})}
        public_events.setdefault(event.ticket_id, []).append(
            {"kind": event.kind, "by": _who(event.actor_id, user), "at": _at(event.created_at), "data": data})
    surveys = {survey.ticket_id: survey for survey in Survey.objects.filter(ticket_id__in=ids)}
    attachments = export_attachments(user)
    labels = {value: str(label) for value, label in Action.choices}

    def ticket_row(ticket: Ticket) -> dict:
        survey = surveys.get(ticket.pk)
        return {
            "reference": ticket.reference, "title": ticket.title, "description": ticket.description,
            "type": ticket.ticket_type, "channel": ticket.channel,
            "category": ticket.category.name if ticket.category else None,
            "status": ticket.status, "priority": ticket.priority, "urgency": ticket.urgency, "impact": ticket.impact,
            "solution": ticket.solution, "created_at": _at(ticket.created_at),
            "resolved_at": _at(ticket.resolved_at), "closed_at": _at(ticket.closed_at),
            "followups": public_followups.get(ticket.pk, []), "events": public_events.get(ticket.pk, []),
            "survey": None if survey is None else {
                "score": survey.score, "comment": survey.comment, "sent_at": _at(survey.sent_at),
                "answered_at": _at(survey.answered_at)},
        }

    return {
        "schema": SCHEMA,
        "person": {
            "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "phone": profile.phone if profile else "",
            "organisation": profile.organisation.name if profile and profile.organisation else None,
            "language": profile.language if profile else "",
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "is_active": user.is_active, "date_joined": _at(user.date_joined), "last_login": _at(user.last_login),
        },
        "tickets": [ticket_row(ticket) for ticket in tickets],
        # What they wrote on tickets they did not request (a colleague's shared ticket, an agent's work).
        "followups_written": [
            {"ticket": followup.ticket.reference, "public": followup.is_public, "body": followup.body,
             "at": _at(followup.created_at)}
            for followup in Followup.objects.filter(author=user).exclude(ticket_id__in=ids)
            .select_related("ticket").order_by("created_at", "pk")
        ],
        "attachments": [_attachment(attachment) for attachment in attachments],
        "kb_votes": [
            {"article": vote.article.title, "helpful": vote.helpful, "at": _at(vote.updated_at)}
            for vote in ArticleVote.objects.filter(user=user).select_related("article").order_by("pk")
        ],
        "kb_deflections": [
            {"article": deflection.article.title, "query": deflection.query, "at": _at(deflection.created_at)}
            for deflection in Deflection.objects.filter(user=user).select_related("article").order_by("pk")
        ],
        # The incidents they follow instead of filing a ticket ("me too"): what the status page shows them
        # (its subject is the incident's category, never another requester's title), what they typed.
        "incidents_followed": [
            {"incident": follow.incident_id, "about": follow.incident.ticket.category.name
             if follow.incident.ticket.category_id else None,
             "query": follow.query, "followed_at": _at(follow.created_at),
             "status_page": reverse("postmortem:status", args=[follow.incident_id])}
            for follow in IncidentFollower.objects.filter(user=user)
            .select_related("incident__ticket__category").order_by("created_at", "pk")
        ],
        # Names and dates only: never the hash nor the prefix of the secret.
        "api_tokens": [
            {"name": token.name, "scope": token.scope, "created_at": _at(token.created_at),
             "expires_at": _at(token.expires_at), "last_used_at": _at(token.last_used_at),
             "revoked_at": _at(token.revoked_at)}
            for token in ApiToken.objects.filter(user=user).order_by("pk")
        ],
        # The history lines they caused, wherever: what happened, when, on which ticket.
        "audit": [
            {"ticket": reference, "kind": kind, "at": _at(created_at)}
            for reference, kind, created_at in TicketEvent.objects.filter(actor=user)
            .order_by("created_at", "pk").values_list("ticket__reference", "kind", "created_at")
        ],
        # The audit log's entries about them (sign-ins, exports, group changes…): who acted as "you",
        # "support" or "system", and the address and browser only of what they did themselves.
        "audit_log": [_audit_row(entry, user, labels)
                      for entry in AuditEntry.objects.about(user).order_by("at", "pk")],
    }


AUDIT_DETAIL_KEYS = ("group", "via", "kinds", "is_active", "is_staff", "is_superuser", "backend")


def _audit_row(entry: AuditEntry, user, labels: dict[str, str]) -> dict:
    own = entry.actor_id == user.pk
    return {"at": _at(entry.at), "action": entry.action, "label": labels.get(entry.action, entry.action),
            "by": _who(entry.actor_id, user), "ip": entry.ip if own else None,
            "user_agent": entry.user_agent if own else "",
            "details": {key: entry.details[key] for key in AUDIT_DETAIL_KEYS if key in (entry.details or {})}}

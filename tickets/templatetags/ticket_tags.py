"""How history events read in a timeline. Everything user-written is escaped by format_html."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.roles import Level

from ..labels import reason_label
from ..models import Channel, EventKind, Priority, Status

register = template.Library()


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value or "—"


TRANSITION_SENTENCES = {
    "take": lambda: _("took the ticket"),
    "wait": lambda: _("put the ticket on hold"),
    "resume": lambda: _("resumed the ticket"),
    "resolve": lambda: _("resolved the ticket"),
    "reopen": lambda: _("reopened the ticket"),
    "close": lambda: _("closed the ticket"),
    "escalate": lambda: _("escalated the ticket"),
    "merge": lambda: _("merged the ticket into another one (duplicate)"),
}


@register.simple_tag
def describe_event(event) -> str:
    """One line saying what happened, without the actor (the template shows who and when)."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return format_html(_("created the ticket ({channel}, priority {priority})"),
                           channel=_label(Channel, data.get("channel")), priority=data.get("priority", ""))
    if kind == EventKind.TRANSITION:
        name = data.get("transition", "")
        sentence = TRANSITION_SENTENCES.get(name, lambda: _("changed the status"))()
        if name == "close" and data.get("automatic"):
            sentence = _("closed the ticket automatically (no answer to the solution)")
        return format_html("{} <span class=\"text-muted\">({} → {})</span>", sentence,
                           _label(Status, data.get("from")), _label(Status, data.get("to")))
    if kind == EventKind.ASSIGNED:
        if data.get("to"):
            return format_html(_("assigned the ticket to {name}"), name=data.get("to_name") or data["to"])
        return _("removed the assignment")
    if kind == EventKind.PRIORITY_CHANGED:
        return format_html(_("changed the priority from {old} to {new}"),
                           old=_label(Priority, data.get("from")), new=_label(Priority, data.get("to")))
    if kind == EventKind.LEVEL_CHANGED:
        return format_html(_("moved the ticket from {old} to {new}"),
                           old=_label(Level, data.get("from")), new=_label(Level, data.get("to")))
    if kind == EventKind.FOLLOWUP:
        return _("replied")
    if kind == EventKind.NOTE:
        return _("added a private note")
    if kind == EventKind.LINKED and data.get("kind") == "duplicate_of":
        if data.get("outgoing"):
            return format_html(_("marked this ticket as a duplicate of {reference}"), reference=data["reference"])
        return format_html(_("merged duplicate {reference} into this ticket"), reference=data["reference"])
    if kind == EventKind.LINKED and data.get("kind"):
        return format_html(_("linked this ticket to {reference}"), reference=data.get("reference", ""))
    if kind == EventKind.LINKED:
        return format_html(_("wrote on the closed ticket: new ticket {reference} opened"),
                           reference=data.get("reference", ""))
    if kind == EventKind.CHECKLIST:
        from ..checklists import CHECKLISTS

        labels = {d.code: d.label for items in CHECKLISTS.values() for d in items}
        label = labels.get(data.get("code"), data.get("code", ""))
        if data.get("done"):
            return format_html(_("ticked “{item}”"), item=label)
        return format_html(_("unticked “{item}”"), item=label)
    if kind == EventKind.ROOT_CAUSE:
        return _("recorded the root cause")
    if kind == EventKind.ESCALATION:
        return _("handed the ticket over to a specialist team")
    if kind == EventKind.PARTICIPANTS:
        return format_html(_("added {names} as participants"), names=", ".join(data.get("added", [])))
    if kind == EventKind.FLAGGED:
        return _("flagged the ticket as a recurring problem")
    if kind == EventKind.SURVEY:
        return format_html(_("answered the satisfaction survey: {score}/5"), score=data.get("score", "?"))
    if kind == EventKind.SLA:
        return _sla_sentence(data)
    return event.get_kind_display()


def _sla_sentence(data: dict) -> str:
    target = _("first response") if data.get("target") == "response" else _("resolution")
    if data.get("sla") == "warning":
        return format_html(_("SLA warning: the {target} deadline is near"), target=target)
    if data.get("sla") == "breach":
        return format_html(_("SLA breached: the {target} deadline has passed"), target=target)
    return _("recomputed the SLA deadlines")


@register.simple_tag
def actor_name(event) -> str:
    if event.actor is None:
        return _("System")
    return event.actor.get_full_name() or event.actor.get_username()


@register.filter
def event_detail(event) -> str:
    """The free text attached to an event (reason, solution), to show under the line."""
    data = event.data or {}
    if event.kind == EventKind.LEVEL_CHANGED:
        return " — ".join(filter(None, [reason_label(data.get("reason", "")), data.get("note", "")]))
    return data.get("reason") or data.get("solution") or data.get("root_cause") or data.get("comment") or ""


@register.filter
def duration_short(seconds) -> str:
    """3725 → "1 h 02", 300 → "5 min", 90000 → "1 d 1 h"."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    minutes, _seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": max(minutes, 1) if seconds else 0}


@register.simple_tag
def unticked_deliverables(checklists) -> list:
    """The deliverables of every phase still unticked: a resolved or closed ticket warns about them."""
    return [item for phase in checklists for item in phase["items"] if not item["done"]]

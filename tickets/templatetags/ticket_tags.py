"""How history events read in a timeline. Everything user-written is escaped by format_html."""

from __future__ import annotations

import re

from django import template
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts.people import user_display
from accounts.roles import Level

from ..labels import explain
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
        if data.get("to") and data.get("why"):
            return format_html(_("assigned the ticket to {name} — {why}"), name=data.get("to_name") or data["to"],
                               why=explain(data["why"]))
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
        names = _people(data.get("added", []))
        return format_html(ngettext("added {names} as participant", "added {names} as participants", len(names)),
                           names=", ".join(names))
    if kind == EventKind.FLAGGED and data.get("alert") == "quiet":
        hours = data.get("quiet_hours", 0)
        return format_html(ngettext(
            "flagged the ticket as a recurring problem (its level was alerted about this problem within the last "
            "hour: no new alert)",
            "flagged the ticket as a recurring problem (its level was alerted about this problem within the last "
            "{hours} hours: no new alert)", hours), hours=hours)
    if kind == EventKind.FLAGGED:
        return _("flagged the ticket as a recurring problem")
    if kind == EventKind.SURVEY:
        return format_html(_("answered the satisfaction survey: {score}/5"), score=data.get("score", "?"))
    if kind == EventKind.SLA:
        return _sla_sentence(data)
    if kind == EventKind.SOLUTION:
        return _("proposed a solution")
    if kind == EventKind.NOTIFICATION:
        return _("sent a notification")
    if kind == EventKind.INCIDENT and data.get("incident") == "storm_suggested":
        return _("found this ticket in a storm of similar tickets: a major incident was suggested")
    if kind == EventKind.INCIDENT:
        # The steps are the postmortem app's; its war room and postmortem describe each one.
        return _("updated the major incident")
    return event.get_kind_display()


def _people(usernames: list[str]) -> list[str]:
    """The names of the users the event stored by username (one query, in the stored order)."""
    users = {user.get_username(): user for user in get_user_model().objects.filter(username__in=usernames)}
    return [user_display(users[name]) if name in users else name for name in usernames]


def _sla_sentence(data: dict) -> str:
    target = _("first response") if data.get("target") == "response" else _("resolution")
    if data.get("sla") == "warning":
        return format_html(_("SLA warning: the {target} deadline is near"), target=target)
    if data.get("sla") == "breach":
        return format_html(_("SLA breached: the {target} deadline has passed"), target=target)
    if data.get("sla") == "at_risk":
        return format_html(_("Breach forecast: the {target} deadline will probably be missed"), target=target)
    return _("recomputed the SLA deadlines")


# Why the sla app recomputed the deadlines (sla.receivers, sla.services, sla.tasks): stored as codes, so
# that each reader sees them in their own language.
SLA_RECOMPUTE_REASONS = {
    "created": lambda: pgettext("SLA deadlines recomputed on", "ticket created"),
    "resumed": lambda: pgettext("SLA deadlines recomputed on", "resumed"),
    "policy changed": lambda: pgettext("SLA deadlines recomputed on", "SLA policy changed"),
}
SLA_PRIORITY_CHANGE = re.compile(r"priority (?P<old>\S+) → (?P<new>\S+)")


def sla_recompute_reason(reason: str) -> str:
    """"priority P3 → P2" → "priorité P3 → P2", "resumed" → "reprise"; an unknown reason as stored."""
    if reason in SLA_RECOMPUTE_REASONS:
        return SLA_RECOMPUTE_REASONS[reason]()
    if match := SLA_PRIORITY_CHANGE.fullmatch(reason):
        return _("priority %(old)s → %(new)s") % match.groupdict()
    return reason


# An automatic major-incident declaration stores its trigger's label, in the language of that moment, as
# its reason (postmortem.services.incident_declare); the trigger code is stored too, so say it from that.
INCIDENT_TRIGGERS = {
    "created": lambda: _("P1/P2 ticket created"),
    "raised": lambda: _("Priority raised to P1/P2"),
}


@register.simple_tag
def actor_name(event) -> str:
    if event.actor is None:
        return _("System")
    return user_display(event.actor)


@register.filter
def event_detail(event) -> str:
    """The free text attached to an event (reason, solution), to show under the line."""
    data = event.data or {}
    if event.kind == EventKind.LEVEL_CHANGED:
        return " — ".join(filter(None, [event.reason_label, data.get("note", "")]))
    if event.kind == EventKind.SLA:
        return sla_recompute_reason(data.get("reason") or "")
    if event.kind in (EventKind.PARTICIPANTS, EventKind.FLAGGED):
        # Written by rules: a reason code gets its label (free text is shown as written).
        return event.reason_label
    if event.kind == EventKind.INCIDENT and data.get("trigger") in INCIDENT_TRIGGERS:
        return INCIDENT_TRIGGERS[data["trigger"]]()
    return data.get("reason") or data.get("solution") or data.get("root_cause") or data.get("comment") or ""


def duration_formats() -> tuple[str, str, str]:
    """duration_short's three formats (days, hours, minutes) in the active language, for a page that writes many
    durations (the queue's SLA badges): translated once, passed to each call."""
    return _("%(days)d d %(hours)d h"), _("%(hours)d h %(minutes)02d"), _("%(minutes)d min")


@register.filter
def duration_short(seconds, formats: tuple[str, str, str] | None = None) -> str:
    """3725 → "1 h 02", 300 → "5 min", 90000 → "1 d 1 h"."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    minutes, _seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    in_days, in_hours, in_minutes = formats or duration_formats()
    if days:
        return in_days % {"days": days, "hours": hours}
    if hours:
        return in_hours % {"hours": hours, "minutes": minutes}
    return in_minutes % {"minutes": max(minutes, 1) if seconds else 0}


@register.simple_tag
def unticked_deliverables(checklists) -> list:
    """The deliverables of every phase still unticked: a resolved or closed ticket warns about them."""
    return [item for phase in checklists for item in phase["items"] if not item["done"]]

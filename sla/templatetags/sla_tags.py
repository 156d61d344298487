"""SLA state for templates. Reads the ticket's clocks from a prefetch when the page made one."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Target

register = template.Library()

STATE_LABELS = {
    "on_time": _("on time"),
    "warning": _("due soon"),
    "breached": _("breached"),
    "paused": _("paused"),
    "met": _("met"),
}
# The queue's compact badges name their target in one word, and a breach in one more.
COMPACT_LABELS = {"breached": _("overdue")}
SHORT_TARGETS = {Target.RESPONSE: _("Response"), Target.RESOLUTION: _("Resolution")}
STATE_CLASSES = {
    "on_time": "text-bg-light border",
    "warning": "text-bg-warning",
    "breached": "text-bg-danger",
    "paused": "text-bg-secondary",
    "met": "text-bg-success",
}


def _clocks(ticket) -> dict:
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    clocks = cache["sla_clocks"] if "sla_clocks" in cache else ticket.sla_clocks.all()
    return {clock.target: clock for clock in clocks}


@register.inclusion_tag("sla/partials/badges.html")
def sla_badges(ticket, compact=False):
    """One badge per running target: what is left, or that it is met, paused or breached."""
    now = timezone.now()
    rows = []
    for target, clock in sorted(_clocks(ticket).items(), key=lambda item: item[0] != Target.RESPONSE):
        state = clock.state(at=now)
        if compact and state == "met":
            continue
        rows.append({
            "target": Target(target).label,
            "short": SHORT_TARGETS[Target(target)],
            "compact_label": COMPACT_LABELS.get(state, STATE_LABELS[state]),
            "state": state,
            "label": STATE_LABELS[state],
            "css": STATE_CLASSES[state],
            "due_at": clock.due_at,
            "remaining": clock.due_at - now if state in ("on_time", "warning") else None,
            "remaining_seconds": (clock.due_at - now).total_seconds() if state in ("on_time", "warning") else None,
        })
    return {"rows": rows, "compact": compact}

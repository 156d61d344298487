"""SLA state for templates. Reads the ticket's clocks from a prefetch when the page made one."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import date_formatter
from tickets.html import format_fast as format_html
from tickets.templatetags.ticket_tags import duration_short

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


def badge_rows(ticket, compact=False) -> dict:
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


@register.simple_tag
def sla_badges(ticket, compact=False):
    """The badges of badge_rows, written in Python: the queue shows them on every row, and an inclusion
    template per row cost more than the rest of the row (bench/RESULTS.md, issue 16). The markup is what
    sla/partials/badges.html renders (tests/sla/test_badges_markup.py holds them equal)."""
    rows = badge_rows(ticket, compact=compact)["rows"]
    due_word = gettext("due")
    write_date = date_formatter("SHORT_DATETIME_FORMAT") if rows else None
    parts = []
    for row in rows:
        due = write_date(row["due_at"])
        if compact:
            text = format_html("{} {}", row["short"],
                               duration_short(row["remaining_seconds"]) if row["remaining"] else row["compact_label"])
        else:
            text = format_html("{} · {}", row["target"],
                               naturaltime(row["due_at"]) if row["remaining"] else row["label"])
        parts.append(format_html(
            '<span class="badge {}{}" data-testid="sla-{}" title="{} · {} {}">{}\n'
            '<span class="visually-hidden">({} {})</span>\n</span>{}',
            row["css"], "" if compact else " me-1", row["state"], row["target"], due_word, due, text,
            due_word, due, "" if compact else mark_safe("<br>")))
    if not rows and not compact:
        parts.append(format_html('<span class="text-muted small">{}</span>', gettext("No SLA")))
    # Whitespace between the badges, as the template leaves it: two badges in a row are a word apart.
    html = mark_safe("\n" + "\n".join(parts) + "\n")  # noqa: S308 - each part is format_html's
    return format_html('<span class="sla-badges">{}</span>', html) if compact else html

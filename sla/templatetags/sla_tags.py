"""SLA state for templates. Reads the ticket's clocks from a prefetch when the page made one."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.db import objects_compiled_once
from core.formats import date_formatter
from tickets.html import escape_fast
from tickets.html import format_fast as format_html
from tickets.templatetags.ticket_tags import duration_formats, duration_short

from ..models import SlaClock, Target

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
    """The ticket's clocks by target: prefetched (the queue's rows), else read in one statement compiled once per
    connection (the workspace and the requester's page show them for every ticket)."""
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    if "sla_clocks" in cache:
        clocks = cache["sla_clocks"]
    else:
        clocks = objects_compiled_once("sla.ticket_clocks", _clocks_of, ticket.pk, bound=True)
    return {clock.target: clock for clock in clocks}


def _clocks_of(ticket_id: int):
    return SlaClock.objects.filter(ticket_id=ticket_id)


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


@lru_cache(maxsize=4096)
def _escaped_due(write_date, due_at) -> str:
    """A deadline as the badges write it (`write_date`: a language's and zone's writer, _queue_words), escaped: the
    queue shows the same tickets' deadlines again and again."""
    return escape_fast(write_date(due_at))


@lru_cache(maxsize=64)
def _queue_words(language: str, zone: str) -> dict:
    """What the compact badges write in `language` and `zone` besides each clock's own: per target its short and
    long names, per state its compact label, and "due", escaped once; the durations' formats; the dates' writer
    (SHORT_DATETIME_FORMAT in the zone)."""
    with translation.override(language), timezone.override(zone):
        return {
            "due": escape_fast(gettext("due")),
            "targets": {target: (escape_fast(SHORT_TARGETS[target]), escape_fast(target.label)) for target in Target},
            "states": {state: escape_fast(COMPACT_LABELS.get(state, label)) for state, label in STATE_LABELS.items()},
            "durations": duration_formats(),
            "write_date": date_formatter("SHORT_DATETIME_FORMAT"),
        }


def queue_badges(ticket, now=None, language: str | None = None, zone: str | None = None) -> SafeString:
    """`sla_badges(ticket, compact=True)`, the queue's cell on every row, with its words translated and escaped,
    its durations' formats and its dates' writer made once per language and zone (tests/sla/test_badges_markup.py
    holds the two equal, byte for byte). `now`, `language`, `zone`: the page's moment, language and time zone name,
    read once for all its rows (the current ones by default)."""
    now = now or timezone.now()
    words = None
    parts = []
    for clock in sorted(_clocks(ticket).values(), key=lambda clock: clock.target != Target.RESPONSE):
        state = clock.state(at=now)
        if state == "met":
            continue
        if words is None:
            words = _queue_words(language or translation.get_language(), zone or timezone.get_current_timezone_name())
        short, long = words["targets"][clock.target]
        remaining = clock.due_at - now if state in ("on_time", "warning") else None
        text = (escape_fast(duration_short(remaining.total_seconds(), words["durations"])) if remaining
                else words["states"][state])
        due, due_word = _escaped_due(words["write_date"], clock.due_at), words["due"]
        parts.append(f'<span class="badge {STATE_CLASSES[state]}" data-testid="sla-{state}" title="{long} · {due_word} '
                     f'{due}">{short} {text}\n<span class="visually-hidden">({due_word} {due})</span>\n</span>')
    return SafeString('<span class="sla-badges">\n' + "\n".join(parts) + "\n</span>")  # all escaped


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

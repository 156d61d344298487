"""How incidents and postmortems read in pages and in the Markdown export."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def outage_duration(value: timedelta | None) -> str:
    """“2 h 05 min”, “3 d 4 h”, “45 min”: the template's “Temps d'indisponibilité”."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def markdown_lines(text: str) -> list[str]:
    """The timeline as Markdown list items: each non-empty line, with a “- ” if it has none."""
    lines = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            lines.append(line if line.startswith(("- ", "* ")) else f"- {line}")
    return lines


@register.filter
def person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()

"""The words of an automatic assignment, read from what the decision stored (so each reader sees
them in their own language): "compétence ERP, 3 tickets ouverts sur 8, présent jusqu'à 18:00,
marge estimée 2 h 10"."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Policy


def duration_text(seconds: int) -> str:
    """2 h 10, 45 min, 3 j 2 h; negative as "dépassement de …"."""
    negative = seconds < 0
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    elif hours:
        text = _("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": minutes}
    else:
        text = _("%(minutes)s min") % {"minutes": minutes}
    return _("late by %(duration)s") % {"duration": text} if negative else text


def explain_assignment(why: dict) -> str:
    if why.get("nobody"):
        text = _("nobody can take it now: back to the level's queue")
    else:
        parts = [_("skill %(skill)s") % {"skill": why["skill"]} if why.get("skill") else _("every category")]
        parts.append(ngettext("%(open)s open ticket of %(max)s", "%(open)s open tickets of %(max)s",
                              why.get("open", 0)) % {"open": why.get("open", 0), "max": why.get("max", 0)})
        until = parse_datetime(why["until"]) if why.get("until") else None
        if until is not None:
            parts.append(_("present until %(time)s") % {"time": time_format(timezone.localtime(until), "H:i")})
        else:
            parts.append(_("present"))
        if why.get("margin") is not None:
            parts.append(_("estimated margin %(margin)s") % {"margin": duration_text(why["margin"])})
        if why.get("policy") in (Policy.ROUND_ROBIN, Policy.LEAST_LOADED):
            parts.append(str(Policy(why["policy"]).label).lower())
        text = ", ".join(parts)
    if why.get("refusal"):
        text = _("%(text)s (refused by %(name)s: %(reason)s)") % {"text": text, **why["refusal"]}
    return text

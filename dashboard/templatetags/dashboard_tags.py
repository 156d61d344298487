from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from accounts.roles import Level
from escalation.models import Reason
from tickets.models import Phase, Priority, Status

from ..metrics import TARGETS

register = template.Library()

DIMENSIONS = {"status": _("Status"), "level": _("Level"), "priority": _("Priority")}
CHOICES = {"status": Status, "level": Level, "priority": Priority}


@register.inclusion_tag("dashboard/partials/metric_card.html", takes_context=True)
def metric_card(context, key, value, unit):
    target = TARGETS[key]
    # The first-response target is a share of tickets answered within the SLA (%), not a number of hours:
    # the card shows the hours without judging them, and judges the share beside them (same unit).
    judged = context["overall"].get("response_met_pct") if key == "first_response" else value
    return {"target": target, "value": value, "unit": unit, "ok": context["overall"]["ok"][key], "key": key,
            "judged": judged, "judged_apart": key == "first_response"}


@register.inclusion_tag("dashboard/partials/breakdown.html", takes_context=True)
def breakdown_table(context, rows, title, table):
    return {"rows": rows, "title": title, "table": table, "columns": context["columns"],
            "querystring": context["querystring"], "link_agents": table == "agent"}


@register.simple_tag
def dimension_label(dimension):
    return DIMENSIONS.get(dimension, dimension)


@register.simple_tag
def value_label(dimension, row):
    choices = CHOICES.get(dimension)
    value = row[dimension]
    try:
        return choices(value).label if choices else value
    except ValueError:
        return value


@register.simple_tag
def phase_label(phase):
    return Phase(phase).label


@register.simple_tag
def reason_label(reason):
    try:
        return Reason(reason).label
    except ValueError:
        return reason


@register.filter
def get(row, key):
    return row.get(key)

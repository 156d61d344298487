from __future__ import annotations

from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.roles import Level
from core.formats import day_formatter
from escalation.models import Reason
from tickets.html import escape_fast, format_fast
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


# The column whose cell is judged against a target, and the row's verdict it reads (row["ok"][...]): the MTTR
# for the P1 row only, the others wherever the row has a value.
JUDGED = {"resolution_rate": "resolution_rate", "csat": "csat", "reopening_rate": "reopening_rate",
          "response_met_pct": "first_response"}


def _judged(key: str, row: dict, value) -> str:
    ok = row.get("ok") or {}
    if key == "mttr_hours" and row.get("key") == "P1":
        return "text-success" if ok.get("mttr") else "text-danger"
    if key in JUDGED and value is not None:
        return "text-success" if ok.get(JUDGED[key]) else "text-danger"
    return ""


def _number_writer():
    """localize() for the numbers of a table, as `{{ value }}` writes them, its formats read once for the table
    instead of three times a number."""
    language = get_language()
    separator, grouping, thousands = (get_format(name, language) for name in
                                      ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR"))

    def localised(value) -> str:
        if type(value) in (int, float, Decimal):
            return numberformat.format(value, separator, None, grouping, thousands, use_l10n=True)
        return localize(value)

    return localised


@register.simple_tag
def breakdown_rows(rows, columns, link_agents) -> SafeString:
    """The rows of a breakdown table (dashboard/partials/breakdown_row.html, its reference markup), written in
    Python: the agents' and categories' tables have a row each and nine cells a row, and the template's
    conditions per cell were a third of the dashboard's page (bench/RESULTS.md, issue 16, session 15). Every
    label and value escaped (tickets.html's format_fast and escape_fast), the numbers localised as the template
    shows them (localize, its formats read once for the table instead of three times a number), the agents'
    links from one reverse() for the table (as the queue's rows: tickets.views.agent._ticket_url_prefix)."""
    agent_url = reverse("dashboard:agent", args=[0]).removesuffix("0/") if link_agents else ""
    localised = _number_writer()
    parts = []
    for row in rows:
        label = row.get("label")
        if link_agents:
            head = format_fast('<a href="{}{}/">{}</a>', agent_url, row["key"], label)
        else:
            head = escape_fast(label or "—")
        parts.append(f'<tr>\n<th scope="row">{head}</th>\n')
        for key, _label in columns:
            value = row.get(key)
            parts.append(format_fast('<td class="text-end {}">{}</td>\n', _judged(key, row, value),
                                     "—" if value is None else localised(value)))
        parts.append("</tr>\n")
    return mark_safe("".join(parts))  # noqa: S308 - each part is format_fast's or escape_fast's


@register.simple_tag
def trend_rows(trend) -> SafeString:
    """The rows of the charts' table, as `{% for row in trend %}` wrote them (one per day or week: 105 for two
    years), in Python: the template's five variables a row, each through the date filter or localize() and
    conditional_escape, were 7.6 ms of the page (bench/RESULTS.md, issue 16, session 18)."""
    localised, write_day = _number_writer(), day_formatter("SHORT_DATE_FORMAT")

    def cell(value) -> str:
        return "—" if value is None else escape_fast(localised(value))

    return mark_safe("".join(  # noqa: S308 - every value is escaped
        f'<tr><th scope="row">{escape_fast(write_day(row["bucket"]))}</th>'
        f'<td>{cell(row["created"])}</td><td>{cell(row["resolved"])}</td><td>{cell(row["mttr_hours"])}</td>'
        f'<td>{cell(row["csat"])}</td></tr>' for row in trend))


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

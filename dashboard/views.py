"""/dashboard/ for managers: agents get 403, requesters 404 (they do not learn it exists)."""

from __future__ import annotations

import csv
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.roles import is_agent, is_manager
from tickets.selectors import agents

from . import charts, metrics
from .forms import DashboardFilterForm
from .periods import period_from
from .selectors import dashboard_data
from .templatetags.dashboard_tags import dimension_label, phase_label, reason_label, value_label


def manager_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if is_manager(request.user):
            return view(request, *args, **kwargs)
        if is_agent(request.user):
            raise PermissionDenied
        raise Http404

    return wrapper


# Lazy: read at import, gettext would fix the labels in the default language for every reader.
METRIC_COLUMNS = [
    ("total", gettext_lazy("Tickets")), ("mttr_hours", gettext_lazy("MTTR (h)")),
    ("first_response_hours", gettext_lazy("First response (h)")),
    ("response_met_pct", gettext_lazy("Response within SLA (%)")),
    ("resolution_met_pct", gettext_lazy("Resolution within SLA (%)")),
    ("resolution_rate", gettext_lazy("Resolution rate (%)")), ("csat", gettext_lazy("CSAT (/5)")),
    ("reopening_rate", gettext_lazy("Reopening rate (%)")),
]


def _context(request, *, agent=None) -> dict:
    form = DashboardFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else False
    data = form.cleaned_data if valid else {}
    period = period_from(key=data.get("period"), start=data.get("start"), end=data.get("end"))
    filters = form.ticket_filters() if valid else {}
    if agent is not None:
        filters["agent"] = agent.pk
    numbers = dashboard_data(period=period, filters=filters)
    trend = numbers["trend"]
    label = "%d/%m" if period.bucket == "day" else "%d/%m/%y"
    return {
        "form": form, "period": period, "filters": filters, "agent": agent, **numbers,
        "targets": metrics.TARGETS, "columns": METRIC_COLUMNS,
        "charts": {
            "volume": charts.line_chart([(row["bucket"].strftime(label), row["created"]) for row in trend],
                                        title=_("Tickets created")),
            "resolved": charts.line_chart([(row["bucket"].strftime(label), row["resolved"]) for row in trend],
                                          title=_("Tickets resolved"), color="#146c43"),
            "mttr": charts.line_chart([(row["bucket"].strftime(label), row["mttr_hours"]) for row in trend],
                                      title=_("MTTR (h)"), unit=" h", color="#a85400"),
            "csat": charts.line_chart([(row["bucket"].strftime(label), row["csat"]) for row in trend],
                                      title=_("CSAT"), color="#6f42c1"),
        },
        "querystring": request.GET.urlencode(),
        "filter_form_key": _filter_form_key(form, agent),
    }


def _filter_form_key(form, agent) -> tuple | None:
    """What the filter form's markup shows besides the reference data (its options: agents, categories,
    organisations) and the language: each field's value as read from the query string, and whether the agent
    field is there. index.html keeps the markup per process (`{% fragment %}`, issue 16: its options were a
    fifth of the page). None (render it, keep nothing) if the form has errors."""
    if form.errors:
        return None
    return tuple(bound.data for bound in form), agent is None


CSV_TABLES = {
    "overview": lambda c: [c["overall"]],
    "priority": lambda c: c["by_priority"],
    "level": lambda c: c["by_level"],
    "category": lambda c: c["by_category"],
    "agent": lambda c: c["by_agent"],
}


def _csv(context: dict, table: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="helpdesk-{table}-{context["period"].first_day}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV with accents correctly when a BOM leads
    writer = csv.writer(response, delimiter=";")
    if table in CSV_TABLES:
        writer.writerow([_("Group"), *[label for _key, label in METRIC_COLUMNS]])
        for row in CSV_TABLES[table](context):
            writer.writerow([row.get("label", _("All")), *[_cell(row.get(key)) for key, _label in METRIC_COLUMNS]])
    elif table == "backlog":
        writer.writerow([_("Dimension"), _("Value"), _("Open tickets")])
        for dimension, rows in context["backlog"].items():
            for row in rows:
                writer.writerow([dimension_label(dimension), value_label(dimension, row), row["count"]])
    elif table == "escalations":
        # Labels, as the page shows them: a spreadsheet is read by people too.
        writer.writerow([_("Dimension"), _("Value"), _("Escalations")])
        for row in context["escalations"]["to_level"]:
            writer.writerow([_("To level"), row["to_level"], row["count"]])
        for row in context["escalations"]["reason"]:
            writer.writerow([_("Reason"), reason_label(row["reason"]), row["count"]])
    elif table == "phases":
        writer.writerow([_("Phase"), _("Share of time (%)"), _("Band low (%)"), _("Band high (%)")])
        for row in context["phases"]:
            writer.writerow([phase_label(row["phase"]), _cell(row["share"]), row["low"], row["high"]])
    elif table == "trend":
        writer.writerow([_("Period"), pgettext("number of tickets", "Created"), pgettext("number of tickets", "Resolved"),
                         _("MTTR (h)"), _("CSAT")])
        for row in context["trend"]:
            writer.writerow([row["bucket"].isoformat(), row["created"], row["resolved"], _cell(row["mttr_hours"]),
                             _cell(row["csat"])])
    else:
        raise Http404
    return response


def _cell(value):
    return "" if value is None else value


@manager_only
def index(request):
    context = _context(request)
    if request.GET.get("export"):
        return _csv(context, request.GET["export"])
    return render(request, "dashboard/index.html", context)


@manager_only
def agent_detail(request, agent_id: int):
    agent = get_object_or_404(agents(), pk=agent_id)
    context = _context(request, agent=agent)
    if request.GET.get("export"):
        return _csv(context, request.GET["export"])
    return render(request, "dashboard/index.html", context)

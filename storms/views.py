"""Ticket storms for the agents under /storms/: the queue's banner (loaded after the queue, so the
queue keeps its query budget), the list, a storm's page with its tickets, declare and dismiss.
Requesters get a 404 on each. Refusals become 409 in the conflict middleware."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required
from postmortem import services as incident_services

from . import services
from .forms import DeclareStormForm, DismissStormForm, FollowForm
from .models import StormState
from .selectors import (
    get_incident_to_follow,
    get_storm_for,
    incidents_matching,
    storm_summary,
    storm_tickets,
    storms_for_list,
    suggested_storms,
)


@agent_required
@require_GET
def banner(request):
    storms = [(storm, storm_summary(storm)) for storm in suggested_storms()]
    return render(request, "storms/partials/banner.html", {"storms": storms})


@agent_required
@require_GET
def storm_list(request):
    storms = [(storm, storm_summary(storm)) for storm in storms_for_list()]
    return render(request, "storms/list.html", {"storms": storms})


def _detail(request, storm, *, declare_form=None, dismiss_form=None, status=200):
    default = _("We are aware of an outage: %(about)s. Our teams are on it; you will be told here when it is "
                "over. No need to open another ticket.") % {"about": storm.label}
    return render(request, "storms/detail.html", {
        "storm": storm, "summary": storm_summary(storm), "tickets": storm_tickets(storm),
        "declare_form": declare_form or DeclareStormForm(initial={"update": default}),
        "dismiss_form": dismiss_form or DismissStormForm(),
        "can_act": storm.state != StormState.DECLARED,
    }, status=status)


@agent_required
@require_GET
def storm_detail(request, pk: int):
    return _detail(request, get_storm_for(request.user, pk))


@agent_required
@require_POST
def declare(request, pk: int):
    storm = get_storm_for(request.user, pk)
    form = DeclareStormForm(request.POST)
    if not form.is_valid():
        return _detail(request, storm, declare_form=form, status=400)
    incident = services.storm_declare(storm=storm, actor=request.user, update=form.cleaned_data["update"])
    messages.success(request, _("Major incident declared: its tickets are linked and the war room is open."))
    return redirect(incident)


@agent_required
@require_POST
def dismiss(request, pk: int):
    storm = get_storm_for(request.user, pk)
    form = DismissStormForm(request.POST)
    if not form.is_valid():
        return _detail(request, storm, dismiss_form=form, status=400)
    services.storm_dismiss(storm=storm, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Suggestion dismissed. It comes back only if the storm keeps growing."))
    return redirect("storms:list")


# --- "Me too", on the requester's new-ticket form


@login_required
@require_GET
def follow_suggest(request):
    """htmx partial under the new ticket's title, as the knowledge base's suggestions: the incidents under
    way that the title or the category matches, each with a one-click "follow this incident"."""
    title = (request.GET.get("title") or "").strip()[:200]
    try:
        category_id = int(request.GET.get("category") or 0) or None
    except ValueError:
        category_id = None
    matches = incidents_matching(user=request.user, title=title, category_id=category_id) if (
        len(title) >= 3 or category_id) else []
    return render(request, "storms/partials/follow_suggestions.html", {"matches": matches})


@login_required
@require_POST
def follow(request, pk: int):
    """Follow the incident instead of filing a ticket: its updates come by email and on its status page."""
    incident = get_incident_to_follow(pk)
    form = FollowForm(request.POST)
    query = form.cleaned_data["title"] if form.is_valid() else ""
    incident_services.incident_follow(incident=incident, user=request.user, query=query)
    messages.success(request, _("You follow this incident: its updates will reach you by email. No ticket was "
                                "filed."))
    return redirect("postmortem:status", pk=incident.pk)

"""Ticket storms for the agents under /storms/: the queue's banner (loaded after the queue, so the
queue keeps its query budget), the list, a storm's page with its tickets, declare and dismiss.
Requesters get a 404 on each. Refusals become 409 in the conflict middleware."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required

from . import services
from .forms import DeclareStormForm, DismissStormForm
from .models import StormState
from .selectors import get_storm_for, storm_summary, storm_tickets, storms_for_list, suggested_storms


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

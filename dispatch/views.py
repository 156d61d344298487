"""The available/away toggle of the top bar, refusing an assigned ticket, the "À risque" view and the
forecast panels of the workspace and of the requester's ticket page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required
from accounts.roles import is_agent
from tickets.models import Status
from tickets.selectors import get_ticket_for

from . import services
from .explain import duration_text
from .forms import RefuseForm
from .models import AgentProfile, Assignment, Forecast


def _profile(user) -> AgentProfile | None:
    return AgentProfile.objects.filter(agent=user).first()


@require_GET
@agent_required
def availability(request):
    """The toggle, loaded by htmx after the page (so no page's query budget pays for it)."""
    profile = _profile(request.user)
    return render(request, "dispatch/partials/availability.html",
                  {"available": profile.is_available if profile else True})


@require_POST
@agent_required
def availability_toggle(request):
    profile = _profile(request.user)
    available = not (profile.is_available if profile else True)
    services.agent_set_availability(agent=request.user, actor=request.user, available=available)
    if request.htmx:
        return render(request, "dispatch/partials/availability.html", {"available": available})
    messages.success(request, _("You are available.") if available else
                     _("You are away: your tickets not yet started went to your colleagues."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "agent:queue"
    return redirect(target)


@require_POST
@agent_required
def refuse(request, reference):
    ticket = get_ticket_for(request.user, reference)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for refusing the ticket."))
        return redirect(ticket.get_agent_url())
    assignment = services.assignment_refuse(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])
    if assignment is not None:
        messages.success(request, _("Ticket %(reference)s went to %(name)s.") % {
            "reference": ticket.reference, "name": assignment.agent.get_full_name() or assignment.agent.get_username()})
    else:
        messages.success(request, _("Ticket %(reference)s is back in its level's queue.") % {"reference": ticket.reference})
    return redirect("agent:queue")


@require_GET
@agent_required
def at_risk(request):
    """The former page of its own: "À risque" is now a view of the agent queue."""
    return redirect(reverse("agent:queue") + "?view=at_risk")


def workspace_panel(request, ticket, bound):
    """The forecast, the latest automatic assignment with its reason, and the refusal form for the
    agent who received the ticket and has not taken it (registered in apps.py)."""
    if not ticket.is_open:
        return None
    forecast = Forecast.objects.filter(ticket=ticket).first()
    last = Assignment.objects.filter(ticket=ticket).select_related("agent").first()
    can_refuse = ticket.status == Status.NEW and ticket.assignee_id == request.user.pk and last is not None \
        and last.agent_id == request.user.pk and last.refused_at is None
    if forecast is None and last is None:
        return None
    return {
        "ticket": ticket, "forecast": forecast, "last": last,
        "margin_text": duration_text(forecast.margin_seconds) if forecast and forecast.margin_seconds is not None
        else "",
        "refuse_form": RefuseForm() if can_refuse else None,
    }


def requester_panel(request, ticket, bound):
    """"Première réponse attendue avant 14 h 30" on the requester's page, nothing else of the forecast."""
    if is_agent(request.user) or ticket.first_response_at is not None or not ticket.is_open:
        return None
    forecast = Forecast.objects.filter(ticket=ticket).only("response_expected_at").first()
    if forecast is None or forecast.response_expected_at is None:
        return None
    # Never promise later than the deadline the requester was given, nor earlier than what is expected.
    expected = forecast.response_expected_at
    if ticket.response_due_at and expected > ticket.response_due_at:
        expected = ticket.response_due_at
    return {"expected": expected, "text": expected_text(expected)}


def expected_text(expected) -> str:
    """"première réponse attendue avant 14 h 30" (today) or "… avant le 03/12 à 14 h 30"."""
    local = timezone.localtime(expected)
    clock = _("%(hour)s h %(minute)02d") % {"hour": local.hour, "minute": local.minute}
    if local.date() == timezone.localdate():
        return _("first response expected before %(time)s") % {"time": clock}
    return _("first response expected before %(day)s at %(time)s") % {"day": date_format(local, "d/m"), "time": clock}

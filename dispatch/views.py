"""The available/away toggle of the top bar, refusing an assigned ticket, the "À risque" view and the
forecast panels of the workspace and of the requester's ticket page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import agent_required, manager_required
from accounts.roles import AGENT_GROUPS, is_agent
from accounts.selectors import agent_queryset
from core.db import object_compiled_once
from core.exceptions import ActionRefused
from tickets.models import Status
from tickets.selectors import get_ticket_for

from . import services
from .explain import duration_text
from .forms import AgentDispatchForm, LevelSettingFormSet, RefuseForm
from .models import AgentProfile, Assignment, Forecast, LevelSetting, Skill


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
    # Compiled once per connection (core.db), the ticket's id beside the text (one prepared statement for every
    # ticket): the workspace shows them for every open ticket.
    forecast = object_compiled_once("dispatch.panel_forecast", _forecast, ticket.pk, bound=True)
    last = object_compiled_once("dispatch.panel_assignment", _last_assignment, ticket.pk, bound=True)
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


def _forecast(ticket_id: int):
    return Forecast.objects.filter(ticket_id=ticket_id).order_by("pk")[:1]


def _last_assignment(ticket_id: int):
    return Assignment.objects.filter(ticket_id=ticket_id).select_related("agent")[:1]


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


@manager_required
@require_http_methods(["GET", "POST"])
def team(request):
    """Managers: each level's automatic assignment and maximum of open tickets per agent, and the agents
    with their working hours and skills (paginated; a fixed number of queries per page)."""
    formset = LevelSettingFormSet(request.POST or None, queryset=LevelSetting.objects.all())
    if request.method == "POST":
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(request, _("The assignment settings are saved."))
            return redirect("dispatch:team")
        status = 400
    else:
        status = 200
    agents = (agent_queryset().select_related("dispatch_profile__calendar")
              .prefetch_related(Prefetch("dispatch_skills", queryset=Skill.objects.select_related("category__parent__parent")),
                                Prefetch("groups", queryset=Group.objects.filter(name__in=AGENT_GROUPS))))
    page = Paginator(agents, settings.HELPDESK_PAGE_SIZE).get_page(request.GET.get("page"))
    for agent in page.object_list:
        agent.profile_or_none = getattr(agent, "dispatch_profile", None)
        by_level: dict[str, list[str]] = {}
        for skill in agent.dispatch_skills.all():
            by_level.setdefault(skill.level, []).append(skill.category.full_name if skill.category
                                                        else _("every category"))
        agent.skills_by_level = sorted((level, sorted(names)) for level, names in by_level.items())
        agent.levels = sorted(group.name for group in agent.groups.all())
    return render(request, "dispatch/team.html", {"formset": formset, "page": page, "agents": page.object_list},
                  status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def team_agent(request, agent_id: int):
    """Managers: one agent's working hours and skills per level (their levels, and any level they hold
    skills at). Another user than an agent is a 404."""
    agent = get_object_or_404(agent_queryset(), pk=agent_id)
    if not is_agent(agent):
        raise Http404
    skills = list(Skill.objects.filter(agent=agent))
    levels = sorted(set(agent.groups.filter(name__in=AGENT_GROUPS).values_list("name", flat=True))
                    | {skill.level for skill in skills}) or list(AGENT_GROUPS)
    profile = AgentProfile.objects.filter(agent=agent).select_related("calendar").first()
    initial = {"calendar": profile.calendar if profile else None}
    for level in levels:
        mine = [skill.category_id for skill in skills if skill.level == level]
        initial[f"every_{level}"] = None in mine
        initial[f"categories_{level}"] = [pk for pk in mine if pk is not None]
    form = AgentDispatchForm(request.POST or None, initial=initial, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_dispatch_save(agent=agent, actor=request.user, calendar=form.cleaned_data["calendar"],
                                         skills=form.skills())
        except ActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The skills and hours of %(name)s are saved.") % {
                "name": agent.get_full_name() or agent.get_username()})
            return redirect("dispatch:team")
    status = 400 if request.method == "POST" else 200
    return render(request, "dispatch/team_agent.html", {"agent": agent, "form": form}, status=status)
